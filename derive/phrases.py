"""The words around the formulas: what each step computes and the rule that justifies it.

Steps carry keys (`what`, `rule`); this table turns them into English and Chinese. Formulas never
appear here: where a phrase needs one, the renderer supplies it from the engine. `{layer}` is the
step's layer as written in the post.
"""

from __future__ import annotations

from .errors import UnknownName

LANGUAGES = ("en", "zh")

WHAT: dict[str, dict[str, str]] = {
    "normalize": {"en": "Standardise the input", "zh": "输入标准化"},
    "preactivation": {"en": "Weighted input of layer {layer}", "zh": "第 {layer} 层的加权输入"},
    "preactivation-entry": {"en": "Weighted input of layer {layer}, one entry", "zh": "第 {layer} 层的加权输入（分量形式）"},
    "activation": {"en": "Activation of layer {layer}", "zh": "第 {layer} 层的激活值"},
    "cost": {"en": "The cost", "zh": "代价函数"},
    "error-definition": {"en": "The error of a neuron", "zh": "神经元的误差"},
    "cost-gradient": {"en": "Gradient of the cost with respect to the output", "zh": "代价对输出的梯度"},
    "activation-derivative": {"en": "Derivative of the activation of layer {layer}", "zh": "第 {layer} 层激活函数的导数"},
    "softmax-jacobian": {"en": "The softmax Jacobian", "zh": "softmax 的雅可比矩阵"},
    "output-error": {"en": "Error of the output layer", "zh": "输出层的误差"},
    "output-error-entry": {"en": "Error of the output layer, one entry", "zh": "输出层的误差（分量形式）"},
    "activation-gradient": {"en": "Gradient with respect to the activations of layer {layer}", "zh": "代价对第 {layer} 层激活值的梯度"},
    "hidden-error": {"en": "Error of layer {layer}", "zh": "第 {layer} 层的误差"},
    "hidden-error-entry": {"en": "Error of layer {layer}, one entry", "zh": "第 {layer} 层的误差（分量形式）"},
    "weight-gradient": {"en": "Gradient with respect to the weights of layer {layer}", "zh": "代价对第 {layer} 层权重的梯度"},
    "weight-gradient-entry": {"en": "Gradient with respect to one weight of layer {layer}", "zh": "代价对第 {layer} 层单个权重的梯度"},
    "bias-gradient": {"en": "Gradient with respect to the biases of layer {layer}", "zh": "代价对第 {layer} 层偏置的梯度"},
    "bias-gradient-entry": {"en": "Gradient with respect to one bias of layer {layer}", "zh": "代价对第 {layer} 层单个偏置的梯度"},
    "scalar-preactivation": {"en": "Weighted input of one neuron", "zh": "单个神经元的加权输入"},
    "scalar-activation": {"en": "Output of one neuron", "zh": "单个神经元的输出"},
    "scalar-cost": {"en": "The cost, neuron by neuron", "zh": "逐个神经元写出的代价"},
    "scalar-weight-gradient": {"en": "Gradient with respect to one weight", "zh": "代价对单个权重的梯度"},
    "scalar-bias-gradient": {"en": "Gradient with respect to one bias", "zh": "代价对单个偏置的梯度"},
    "layout-destination": {"en": "Weight matrix of layer {layer}, rows = destination neuron", "zh": "第 {layer} 层权重矩阵（行对应目标神经元）"},
    "layout-destination-gradient": {"en": "Its gradient, entry by entry", "zh": "其梯度，逐项写出"},
    "layout-source": {"en": "The same weights packed rows = source neuron", "zh": "同一组权重按行对应源神经元排列"},
    "layout-source-gradient": {"en": "Its gradient under that layout", "zh": "该排列下的梯度"},
}

RULE: dict[str, dict[str, str]] = {
    "standardize": {
        "en": "the mean and standard deviation of the data are constants, so no gradient flows through them",
        "zh": "数据的均值和标准差视为常数，梯度不经过它们",
    },
    "affine": {"en": "definition of the layer (forward pass)", "zh": "网络层的定义（前向传播）"},
    "affine-entry": {"en": "the matrix product written out entry by entry", "zh": "把矩阵乘法逐项展开"},
    "activation": {"en": "definition of the layer's activation, applied entry by entry", "zh": "激活函数的定义，逐元素作用"},
    "cost": {"en": "definition of the cost, summed over the outputs and the samples", "zh": "代价函数的定义，对所有输出与样本求和"},
    "cost-mean": {
        "en": "definition of the cost, summed over the outputs and averaged over the n samples",
        "zh": "代价函数的定义，对所有输出求和、对 n 个样本取平均",
    },
    "cost-derivative-mean": {
        "en": "derivative of the cost, entry by entry; the average over the batch brings the factor 1/n",
        "zh": "对代价函数逐项求导；对批次取平均带来因子 1/n",
    },
    "definition": {"en": "definition of δ: how much the cost changes with the weighted input", "zh": "δ 的定义：代价随加权输入的变化率"},
    "cost-derivative": {"en": "derivative of the cost, entry by entry", "zh": "对代价函数逐项求导"},
    "activation-derivative": {"en": "derivative of the activation, written in terms of its output", "zh": "激活函数的导数，用其输出表示"},
    "softmax-jacobian": {
        "en": "every softmax output depends on every input: ∂a_k/∂z_j = a_k(δ_kj − a_j), a full matrix, not only its diagonal",
        "zh": "softmax 的每个输出都依赖于每个输入：∂a_k/∂z_j = a_k(δ_kj − a_j)，是完整矩阵，而不只是对角线",
    },
    "chain-rule-elementwise": {
        "en": "chain rule; each activation depends only on its own weighted input, so the Jacobian is diagonal and the product is elementwise (⊙)",
        "zh": "链式法则；每个激活值只依赖于自己的加权输入，雅可比矩阵是对角阵，乘积化为逐元素乘积（⊙）",
    },
    "chain-rule-entry": {"en": "chain rule for one entry", "zh": "对单个分量使用链式法则"},
    "chain-rule-softmax": {"en": "chain rule through the full softmax Jacobian", "zh": "经过完整的 softmax 雅可比矩阵的链式法则"},
    "fused-cross-entropy-softmax": {
        "en": "chain rule through the softmax Jacobian; with cross-entropy and targets that sum to 1 everything cancels to ŷ − y",
        "zh": "经过 softmax 雅可比矩阵的链式法则；与交叉熵结合且目标之和为 1 时，化简为 ŷ − y",
    },
    "fused-cross-entropy-sigmoid": {
        "en": "chain rule; the sigmoid's a(1 − a) cancels the a in −y/a and leaves −y(1 − a)",
        "zh": "链式法则；sigmoid 的 a(1 − a) 与 −y/a 中的 a 相消，只剩 −y(1 − a)",
    },
    "fused-binary-cross-entropy-sigmoid": {
        "en": "chain rule; with a sigmoid output the factors a(1 − a) cancel and leave a − y",
        "zh": "链式法则；sigmoid 输出时 a(1 − a) 因子相消，只剩 a − y",
    },
    "transpose-rule": {
        "en": "chain rule; a^l_j reaches every neuron k of the next layer through the weight W^(l+1)_kj, and summing over k is a product with the transposed matrix",
        "zh": "链式法则；a^l_j 通过权重 W^(l+1)_kj 影响下一层的每个神经元 k，对 k 求和即与转置矩阵相乘",
    },
    "chain-rule-sum": {
        "en": "chain rule, summing over every neuron k of the next layer that z^l_j feeds",
        "zh": "链式法则，对 z^l_j 所影响的下一层所有神经元 k 求和",
    },
    "outer-product": {
        "en": "the entries δ_j a_k form the outer product of δ with the previous activations",
        "zh": "分量 δ_j a_k 构成 δ 与上一层激活值的外积",
    },
    "batch-product": {
        "en": "every sample contributes δ_j a_k; the matrix product sums these contributions over the batch",
        "zh": "每个样本贡献 δ_j a_k；矩阵乘积对整个批次求和",
    },
    "bias-rule": {"en": "∂z_j/∂b_j = 1, so the bias gradient is the error itself", "zh": "∂z_j/∂b_j = 1，所以偏置的梯度就是误差本身"},
    "batch-sum": {
        "en": "the bias is shared by every sample, so its gradient is the error summed over the batch",
        "zh": "偏置被所有样本共享，其梯度是误差对批次的求和",
    },
    "chain-rule-weight": {
        "en": "chain rule; the weight only enters z_j, and ∂z_j/∂w_jk is the input it multiplies",
        "zh": "链式法则；权重只出现在 z_j 中，∂z_j/∂w_jk 就是它所乘的输入",
    },
    "chain-rule-bias": {"en": "chain rule; ∂z_j/∂b_j = 1", "zh": "链式法则；∂z_j/∂b_j = 1"},
    "affine-scalar": {"en": "definition of the neuron's weighted input", "zh": "神经元加权输入的定义"},
    "activation-scalar": {"en": "definition of the neuron's output", "zh": "神经元输出的定义"},
    "cost-scalar": {"en": "definition of the cost", "zh": "代价函数的定义"},
    "chain-rule-scalar": {
        "en": "chain rule along every path from the weight to the cost",
        "zh": "沿权重到代价的每一条路径使用链式法则",
    },
    "layout-destination": {
        "en": "row j holds the weights into neuron j (z = W a); this is the layout the matrix formulas use",
        "zh": "第 j 行是进入神经元 j 的权重（z = W a）；矩阵公式使用这种排列",
    },
    "layout-source": {
        "en": "row k holds the weights out of neuron k; this matrix is the transpose, and so is its gradient",
        "zh": "第 k 行是从神经元 k 出发的权重；这个矩阵是转置，它的梯度也相应转置",
    },
}

ASSUMPTIONS: dict[str, dict[str, str]] = {
    "one-hot-target": {
        "en": "the targets of each sample sum to 1 (one-hot labels)",
        "zh": "每个样本的目标值之和为 1（one-hot 标签）",
    },
    "normalisation-constant": {
        "en": "the input's mean and standard deviation are constants of the data",
        "zh": "输入的均值和标准差视为数据的常数",
    },
}


def phrase(table: dict[str, dict[str, str]], key: str, lang: str = "en", **values: str) -> str:
    if lang not in LANGUAGES:
        raise UnknownName("language", lang, LANGUAGES)
    if key not in table:
        raise KeyError(f"no phrase for {key!r}")
    return table[key][lang].format(**values)


def what(key: str, lang: str = "en", **values: str) -> str:
    return phrase(WHAT, key, lang, **values)


def rule(key: str, lang: str = "en", **values: str) -> str:
    return phrase(RULE, key, lang, **values)


# ----------------------------------------------------------------------------------------------
# Posts (derive post). A formula in a post is always a verified step form, a shape, an index
# range or a number, printed by the engine's printer; so the phrases below carry no symbols at
# all. A placeholder such as {layer} or {rhs} is filled by the renderer, with maths where the
# value is maths ({rhs}: the step's own last, verified form).
# ----------------------------------------------------------------------------------------------

#: Section headings. {layer}: the layer of the section's first step.
SECTION: dict[str, dict[str, str]] = {
    "forward": {"en": "Forward pass", "zh": "前向传播"},
    "output": {"en": "Output layer", "zh": "输出层"},
    "hidden": {"en": "Back through layer {layer}", "zh": "反向经过第 {layer} 层"},
    "gradients": {"en": "Gradients of the parameters of layer {layer}", "zh": "第 {layer} 层参数的梯度"},
    "specialise": {"en": "Specialised to this network's cost and activations", "zh": "代入本网络的代价函数与激活函数"},
    "scalar": {"en": "Neuron by neuron", "zh": "逐个神经元"},
    "layout": {"en": "Matrix form under both weight layouts", "zh": "两种权重排列下的矩阵形式"},
    "instances": {"en": "The general result on concrete networks", "zh": "通用结果在具体网络上的检验"},
    "example": {"en": "A worked numeric example", "zh": "数值算例"},
}

#: The rule of each step in words only (the RULE table above writes some maths in Unicode).
RULE_WORDS: dict[str, dict[str, str]] = {
    "standardize": {
        "en": "the mean and standard deviation of the data are constants, so no gradient flows through them",
        "zh": "数据的均值和标准差视为常数，梯度不经过它们",
    },
    "affine": {"en": "definition of the layer (forward pass)", "zh": "网络层的定义（前向传播）"},
    "affine-entry": {"en": "the matrix product written out entry by entry", "zh": "把矩阵乘法逐项展开"},
    "activation": {"en": "definition of the layer's activation, applied entry by entry", "zh": "激活函数的定义，逐元素作用"},
    "cost": {"en": "definition of the cost, summed over the outputs and the samples", "zh": "代价函数的定义，对所有输出与样本求和"},
    "cost-mean": {
        "en": "definition of the cost, summed over the outputs and averaged over the samples of the batch",
        "zh": "代价函数的定义，对所有输出求和、对批次中的样本取平均",
    },
    "cost-derivative-mean": {
        "en": "derivative of the cost, entry by entry; averaging over the batch divides by the number of samples, "
              "and every error below inherits that factor",
        "zh": "对代价函数逐项求导；对批次取平均即除以样本数，下文的每个误差都带有这个因子",
    },
    "definition": {
        "en": "definition of the error of a neuron: how much the cost changes with its weighted input",
        "zh": "神经元误差的定义：代价随其加权输入的变化率",
    },
    "cost-derivative": {"en": "derivative of the cost, entry by entry", "zh": "对代价函数逐项求导"},
    "activation-derivative": {
        "en": "derivative of the activation, written in terms of its output",
        "zh": "激活函数的导数，用其输出表示",
    },
    "softmax-jacobian": {
        "en": "every softmax output depends on every input, so the Jacobian is a full matrix, not only its diagonal",
        "zh": "softmax 的每个输出都依赖于每个输入，所以雅可比矩阵是完整矩阵，而不只是对角线",
    },
    "chain-rule-elementwise": {
        "en": "chain rule; each activation depends only on its own weighted input, so the Jacobian is diagonal "
              "and the product is elementwise (the Hadamard product)",
        "zh": "链式法则；每个激活值只依赖于自己的加权输入，雅可比矩阵是对角阵，乘积化为逐元素乘积（Hadamard 积）",
    },
    "chain-rule-entry": {"en": "chain rule for one entry", "zh": "对单个分量使用链式法则"},
    "chain-rule-softmax": {"en": "chain rule through the full softmax Jacobian", "zh": "经过完整的 softmax 雅可比矩阵的链式法则"},
    "fused-cross-entropy-softmax": {
        "en": "chain rule through the softmax Jacobian; with cross-entropy and targets that sum to 1 everything "
              "cancels to {rhs}",
        "zh": "经过 softmax 雅可比矩阵的链式法则；与交叉熵结合且目标之和为 1 时，全部化简为 {rhs}",
    },
    "fused-cross-entropy-sigmoid": {
        "en": "chain rule; the sigmoid's derivative cancels against the cost's division by the output and leaves {rhs}",
        "zh": "链式法则；sigmoid 的导数与代价中除以输出的部分相消，只剩 {rhs}",
    },
    "fused-binary-cross-entropy-sigmoid": {
        "en": "chain rule; with a sigmoid output the sigmoid's derivative cancels against the cost's and leaves {rhs}",
        "zh": "链式法则；sigmoid 输出时 sigmoid 的导数与代价的导数相消，只剩 {rhs}",
    },
    "transpose-rule": {
        "en": "chain rule; each activation of layer {layer} reaches every neuron of the next layer through one "
              "weight, and summing over those neurons is a product with the transposed weight matrix",
        "zh": "链式法则；第 {layer} 层的每个激活值通过一个权重影响下一层的每个神经元，对这些神经元求和即与转置的权重矩阵相乘",
    },
    "chain-rule-sum": {
        "en": "chain rule, summing over every neuron of the next layer that this weighted input feeds",
        "zh": "链式法则，对该加权输入所影响的下一层所有神经元求和",
    },
    "outer-product": {
        "en": "each entry is the error of the destination neuron times the activation of the source neuron, "
              "so the matrix is the outer product of the error with the previous activations",
        "zh": "每个分量是目标神经元的误差乘以源神经元的激活值，所以整个矩阵是误差与上一层激活值的外积",
    },
    "batch-product": {
        "en": "every sample contributes the error of the destination neuron times the activation of the source "
              "neuron; the matrix product sums these contributions over the batch",
        "zh": "每个样本贡献目标神经元的误差乘以源神经元的激活值；矩阵乘积对整个批次求和",
    },
    "bias-rule": {
        "en": "a bias enters its neuron's weighted input with coefficient 1, so its gradient is the error itself",
        "zh": "偏置以系数 1 进入其神经元的加权输入，所以偏置的梯度就是误差本身",
    },
    "batch-sum": {
        "en": "the bias is shared by every sample, so its gradient is the error summed over the batch",
        "zh": "偏置被所有样本共享，其梯度是误差对批次的求和",
    },
    "chain-rule-weight": {
        "en": "chain rule; the weight enters only the weighted input of its destination neuron, and the "
              "derivative of that input with respect to the weight is the input the weight multiplies",
        "zh": "链式法则；权重只出现在其目标神经元的加权输入中，该输入对权重的导数就是权重所乘的输入",
    },
    "chain-rule-bias": {
        "en": "chain rule; a bias enters its neuron's weighted input with coefficient 1",
        "zh": "链式法则；偏置以系数 1 进入其神经元的加权输入",
    },
    "affine-scalar": {"en": "definition of the neuron's weighted input", "zh": "神经元加权输入的定义"},
    "activation-scalar": {"en": "definition of the neuron's output", "zh": "神经元输出的定义"},
    "cost-scalar": {"en": "definition of the cost", "zh": "代价函数的定义"},
    "chain-rule-scalar": {
        "en": "chain rule along every path from the weight to the cost",
        "zh": "沿权重到代价的每一条路径使用链式法则",
    },
    "layout-destination": {
        "en": "each row holds the weights into one destination neuron; this is the layout the matrix formulas "
              "of this post use",
        "zh": "每一行是进入同一个目标神经元的权重；本文的矩阵公式使用这种排列",
    },
    "layout-source": {
        "en": "each row holds the weights out of one source neuron; this matrix is the transpose, and so is "
              "its gradient",
        "zh": "每一行是从同一个源神经元出发的权重；这个矩阵是转置，它的梯度也相应转置",
    },
}

#: Rules whose words depend on the activation: softmax is applied to a whole sample, not entry
#: by entry (keyed like RULE, by the rule and "joint").
RULE_WORDS_JOINT: dict[str, dict[str, str]] = {
    "activation": {
        "en": "definition of the layer's activation, applied to each sample as a whole: every output depends "
              "on every weighted input of the sample",
        "zh": "激活函数的定义，作用于整个样本：每个输出都依赖于该样本的所有加权输入",
    },
}

#: A sentence a post adds after a step of this kind (keyed like WHAT).
STEP_NOTE: dict[str, dict[str, str]] = {
    "scalar-weight-gradient": {
        "en": "The last two forms say which entry of the gradient matrix this is: with rows = destination "
              "neuron (the layout of this post), then with rows = source neuron.",
        "zh": "最后两个式子指出它是梯度矩阵的哪一个分量：先按行对应目标神经元（本文的排列），再按行对应源神经元。",
    },
}

COST_NAMES: dict[str, dict[str, str]] = {
    "quadratic": {"en": "quadratic", "zh": "二次"},
    "cross-entropy": {"en": "cross-entropy", "zh": "交叉熵"},
    "binary-cross-entropy": {"en": "binary cross-entropy", "zh": "二元交叉熵"},
    "mean-absolute-error": {"en": "absolute-error", "zh": "绝对误差"},
    "huber": {"en": "Huber", "zh": "Huber "},
}

#: The words of a post around its steps. {…} placeholders are filled by the renderer.
POST: dict[str, dict[str, str]] = {
    "title": {"en": "Backpropagation, step by step: {net}", "zh": "反向传播逐步推导：{net}"},
    "description": {"en": "The network: {facts}.", "zh": "网络：{facts}。"},
    "fact-widths": {"en": "layer widths {widths}", "zh": "各层宽度 {widths}"},
    "fact-depth": {"en": "any number {depth} of layers (checked at the widths below)", "zh": "任意层数 {depth}（在下文的宽度上检验）"},
    "fact-activations": {"en": "activations {names}", "zh": "激活函数 {names}"},
    "fact-cost": {"en": "{name} cost", "zh": "{name}代价"},
    "fact-column": {"en": "column convention (one sample is a column vector)", "zh": "列约定（一个样本是一个列向量）"},
    "fact-row": {"en": "row convention (one sample is a row vector)", "zh": "行约定（一个样本是一个行向量）"},
    "fact-no-bias": {"en": "no biases", "zh": "无偏置"},
    "fact-batch": {"en": "a batch of {n} samples", "zh": "一批 {n} 个样本"},
    "fact-one-sample": {"en": "one sample", "zh": "单个样本"},
    "fact-normalize": {"en": "the input is standardised first", "zh": "输入先做标准化"},
    "fact-mean": {"en": "the cost averaged over the batch", "zh": "代价对批次取平均"},
    "facts-glue": {"en": "; ", "zh": "；"},
    "list-glue": {"en": ", ", "zh": "、"},
    "sentence-glue": {"en": " ", "zh": ""},  # between sentences of one paragraph
    "intro-proved": {
        "en": "Every formula below was generated by derive from the network's definition and verified before it "
              "was printed: each entry of each result was proved equal to SymPy's derivative of the fully "
              "expanded scalar cost, and checked against central differences.",
        "zh": "下文的每个公式都由 derive 根据网络定义自动生成，并在输出前经过验证：每个结果的每个分量都被证明与完全展开的"
              "标量代价函数经 SymPy 求导的结果严格相等，并用中心差分做了数值检验。",
    },
    "intro-numeric": {
        "en": "Every formula below was generated by derive from the network's definition and verified before it "
              "was printed: each result was checked against central differences at random points.",
        "zh": "下文的每个公式都由 derive 根据网络定义自动生成，并在输出前经过验证：每个结果都在随机点上用中心差分做了数值检验。",
    },
    "intro-general": {
        "en": "Every formula below was generated by derive and holds for any number of layers: each step, "
              "first entry by entry and then as a matrix, was checked on the concrete networks listed at the "
              "end, which the same code builds.",
        "zh": "下文的每个公式都由 derive 自动生成，对任意层数成立：每一步（先逐分量，再写成矩阵）都在文末列出的、"
              "由同一段代码构造的具体网络上经过检验。",
    },
    "diagram-alt": {"en": "Diagram of the {net} network", "zh": "{net} 网络结构图"},
    "diagram-caption": {
        "en": "The network, with neurons and weights named as in this post.",
        "zh": "网络结构图，神经元与权重的记号与正文一致。",
    },
    "assumption": {"en": "Assumption: {text}.", "zh": "假设：{text}。"},
    "rule": {"en": "Rule", "zh": "依据"},
    "colon": {"en": ": ", "zh": "："},
    "stop": {"en": ".", "zh": "。"},
    "ranges": {"en": "This holds for {ranges}.", "zh": "对 {ranges} 成立。"},
    "shapes": {"en": "Shapes: {shapes}.", "zh": "形状：{shapes}。"},
    "definition": {"en": "This is a definition.", "zh": "这是定义。"},
    "verified": {"en": "Verified: {methods}.", "zh": "验证：{methods}。"},
    "method-symbolic": {
        "en": "proved exactly against the derivative of the expanded cost",
        "zh": "与展开后代价函数的导数严格相等（符号证明）",
    },
    "method-numeric": {"en": "checked by central differences", "zh": "经中心差分数值检验"},
    "method-instance": {"en": "checked on every concrete network listed at the end", "zh": "在文末列出的每个具体网络上经过检验"},
    "instance": {"en": "Widths {widths}: {checks}.", "zh": "宽度 {widths}：{checks}。"},
    "instance-symbolic": {"en": "{count} entries proved exactly", "zh": "{count} 个分量严格证明"},
    "instance-numeric": {"en": "{count} values checked by central differences", "zh": "{count} 个数值经中心差分检验"},
    "example-instance": {
        "en": "The numbers below use the network with widths {widths}.",
        "zh": "下面的数值取宽度为 {widths} 的网络。",
    },
    "example-given": {
        "en": "Take these inputs, targets and parameters (drawn with seed {seed} and rounded to two decimals, so "
              "you can reproduce every number):",
        "zh": "取以下输入、目标值和参数（由随机种子 {seed} 生成并保留两位小数，便于复现每个数值）：",
    },
    "example-cost": {"en": "The forward pass gives the cost:", "zh": "前向传播得到代价："},
    "example-formula": {"en": "The formulas above give the gradients:", "zh": "由上面的公式得到梯度："},
    "example-scalar": {"en": "Neuron by neuron, the same numbers:", "zh": "逐个神经元写出，数值相同："},
    "example-differences": {
        "en": "Central differences of the cost (Richardson-extrapolated, step {step}) give:",
        "zh": "对代价函数做中心差分（Richardson 外推，步长 {step}）得到：",
    },
    "example-unprinted": {
        "en": "Too large to print here, and drawn the same way: {names}.",
        "zh": "以下各量太大，不在此列出，按同样方式生成：{names}。",
    },
    "example-large": {
        "en": "{name} has {count} entries, too many to print; {checked}.",
        "zh": "{name} 有 {count} 个分量，不便全部列出；{checked}。",
    },
    "example-large-entries": {
        "en": "central differences agree with the formula in all {count} of them",
        "zh": "中心差分在全部 {count} 个分量上与公式一致",
    },
    "example-large-directions": {
        "en": "central differences along {count} random directions agree with the formula",
        "zh": "沿 {count} 个随机方向的中心差分与公式一致",
    },
    "example-agree": {
        "en": "Formula and differences agree in all {count} checked values: every relative difference is "
              "below {tolerance}.",
        "zh": "公式与差分在全部 {count} 个检验值上一致：相对误差均小于 {tolerance}。",
    },
}


def text(table: dict[str, dict[str, str]], key: str, lang: str = "en") -> str:
    """A phrase with its {placeholders} left in, for a renderer that fills them with maths."""
    if lang not in LANGUAGES:
        raise UnknownName("language", lang, LANGUAGES)
    if key not in table:
        raise KeyError(f"no phrase for {key!r}")
    return table[key][lang]
