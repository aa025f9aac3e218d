"""The words around the formulas: what each step computes and the rule that justifies it.

Steps carry keys (`what`, `rule`); this table turns them into English and Chinese. Formulas never
appear here: where a phrase needs one, the renderer supplies it from the engine. `{layer}` is the
step's layer as written in the post. The words of posts (why each step holds, the text around
the notation, the worked example and the code) are in derive/posts/wording.py.
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
    "norm-mean": {"en": "Mean of layer {layer}'s weighted inputs", "zh": "第 {layer} 层加权输入的均值"},
    "norm-variance": {"en": "Variance of layer {layer}'s weighted inputs", "zh": "第 {layer} 层加权输入的方差"},
    "norm-standardise": {"en": "Normalised weighted input of layer {layer}", "zh": "第 {layer} 层归一化后的加权输入"},
    "norm-scale-shift": {"en": "Scaled and shifted input of layer {layer}'s activation", "zh": "第 {layer} 层激活函数的输入（缩放并平移后）"},
    "norm-output-gradient": {"en": "Gradient with respect to the input of layer {layer}'s activation", "zh": "代价对第 {layer} 层激活函数输入的梯度"},
    "norm-scale-gradient": {"en": "Gradient with respect to the scales γ of layer {layer}", "zh": "代价对第 {layer} 层缩放参数 γ 的梯度"},
    "norm-shift-gradient": {"en": "Gradient with respect to the shifts β of layer {layer}", "zh": "代价对第 {layer} 层平移参数 β 的梯度"},
    "norm-standardised-gradient": {"en": "Gradient with respect to layer {layer}'s normalised input", "zh": "代价对第 {layer} 层归一化输入的梯度"},
    "norm-variance-gradient": {"en": "Gradient with respect to layer {layer}'s variance", "zh": "代价对第 {layer} 层方差的梯度"},
    "norm-mean-gradient": {"en": "Gradient with respect to layer {layer}'s mean", "zh": "代价对第 {layer} 层均值的梯度"},
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
    "cost-l2": {
        "en": "definition of the cost: the data term summed over the outputs and the samples, plus the L2 penalty λ/2 Σ‖W‖²",
        "zh": "代价函数的定义：对所有输出与样本求和的数据项，加上 L2 惩罚项 λ/2 Σ‖W‖²",
    },
    "cost-mean-l2": {
        "en": "definition of the cost: the data term averaged over the n samples, plus the L2 penalty λ/(2n) Σ‖W‖²",
        "zh": "代价函数的定义：对 n 个样本取平均的数据项，加上 L2 惩罚项 λ/(2n) Σ‖W‖²",
    },
    "weight-decay": {
        "en": "the data term reaches W only through z, as before; the penalty adds its own derivative λW",
        "zh": "数据项仍只通过 z 依赖 W；惩罚项另外贡献它自己的导数 λW",
    },
    "bias-decay": {
        "en": "the data term gives the error summed over the samples; the penalty on the biases adds λb",
        "zh": "数据项给出对样本求和的误差；偏置的惩罚项另外贡献 λb",
    },
    "chain-rule-weight-decay": {
        "en": "chain rule for the data term (∂z_j/∂w_jk is the input it multiplies), plus ∂(λ/2 w_jk²)/∂w_jk = λ w_jk",
        "zh": "对数据项用链式法则（∂z_j/∂w_jk 是它所乘的输入），再加上 ∂(λ/2 w_jk²)/∂w_jk = λ w_jk",
    },
    "chain-rule-bias-decay": {
        "en": "chain rule for the data term (∂z_j/∂b_j = 1), plus ∂(λ/2 b_j²)/∂b_j = λ b_j",
        "zh": "对数据项用链式法则（∂z_j/∂b_j = 1），再加上 ∂(λ/2 b_j²)/∂b_j = λ b_j",
    },
    "dropout": {
        "en": "definition of the layer's activation with dropout: the activation entry by entry, times the given mask m (0 or 1/(1 − p) for each unit)",
        "zh": "带 dropout 的激活值定义：逐元素作用激活函数，再乘以给定的掩码 m（每个单元为 0 或 1/(1 − p)）",
    },
    "chain-rule-dropout": {
        "en": "chain rule; a^l_j = f(z^l_j) m^l_j depends only on its own z^l_j, with ∂a^l_j/∂z^l_j = m^l_j f′(z^l_j): the mask multiplies the error",
        "zh": "链式法则；a^l_j = f(z^l_j) m^l_j 只依赖自己的 z^l_j，∂a^l_j/∂z^l_j = m^l_j f′(z^l_j)：掩码乘到误差上",
    },
    "chain-rule-dropout-entry": {
        "en": "chain rule, summing over every neuron k of the next layer that z^l_j feeds; the mask entry m^l_j is a factor of ∂a^l_j/∂z^l_j",
        "zh": "链式法则，对 z^l_j 所影响的下一层所有神经元 k 求和；掩码分量 m^l_j 是 ∂a^l_j/∂z^l_j 的一个因子",
    },
    "residual": {
        "en": "definition of the layer's activation with a residual connection: the activation entry by entry, plus the earlier output a^j of the same width",
        "zh": "带残差连接的激活值定义：逐元素作用激活函数，再加上宽度相同的前面一层的输出 a^j",
    },
    "residual-gradient": {
        "en": "chain rule over both paths: through the next layer's weights, and through the skip a^t = f(z^t) + a^l, whose ∂a^t/∂a^l is the identity",
        "zh": "对两条路径用链式法则：经过下一层的权重，以及经过跳跃连接 a^t = f(z^t) + a^l，其 ∂a^t/∂a^l 为单位矩阵",
    },
    "chain-rule-residual": {
        "en": "chain rule; the skip term of a^l does not depend on z^l, so ∂a^l_j/∂z^l_j = f′(z^l_j), kept in z since a^l is no longer f(z^l)",
        "zh": "链式法则；a^l 中跳跃连接那一项与 z^l 无关，所以 ∂a^l_j/∂z^l_j = f′(z^l_j)；由于 a^l 不再等于 f(z^l)，导数保留 z 的形式",
    },
    "chain-rule-residual-entry": {
        "en": "chain rule, summing over every neuron k of the next layer that a^l_j feeds, plus the skip's direct path ∂C/∂a^t_j",
        "zh": "链式法则，对 a^l_j 所影响的下一层所有神经元 k 求和，再加上跳跃连接的直接路径 ∂C/∂a^t_j",
    },
    "norm-mean": {
        "en": "definition of the mean: each neuron's weighted inputs averaged over the values it is taken over (the n samples of the batch for batch norm, the layer's neurons for layer norm)",
        "zh": "均值的定义：对统计范围内的值取平均（批归一化是批内 n 个样本，层归一化是本层的各个神经元）",
    },
    "norm-variance": {
        "en": "definition of the variance around that mean, divided by the number of values (biased, as in training)",
        "zh": "围绕该均值的方差的定义，除以值的个数（有偏估计，与训练时一致）",
    },
    "norm-standardise": {
        "en": "definition of the normalisation: subtract the mean, divide by the deviation √(σ² + ε), entry by entry",
        "zh": "归一化的定义：逐元素减去均值，再除以标准差 √(σ² + ε)",
    },
    "norm-scale-shift": {
        "en": "definition of the learned scale γ and shift β, one of each per neuron (β takes the place of the bias)",
        "zh": "可学习的缩放 γ 与平移 β 的定义，每个神经元各一个（β 取代了偏置）",
    },
    "norm-activation": {
        "en": "definition of the layer's activation, applied entry by entry to the normalised, scaled and shifted u",
        "zh": "激活函数的定义，逐元素作用于归一化、缩放并平移后的 u",
    },
    "chain-rule-norm-activation": {
        "en": "chain rule; a_j = f(u_j) depends only on its own u_j, so the derivative is f′ at u, not at z",
        "zh": "链式法则；a_j = f(u_j) 只依赖自己的 u_j，所以导数取在 u 处，而不是 z 处",
    },
    "norm-scale-gradient": {
        "en": "u = γ ⊙ ẑ + β, so ∂u/∂γ = ẑ; each γ_j acts on every sample: sum over them",
        "zh": "u = γ ⊙ ẑ + β，所以 ∂u/∂γ = ẑ；每个 γ_j 作用于所有样本，对样本求和",
    },
    "norm-shift-gradient": {
        "en": "∂u/∂β = 1; each β_j acts on every sample: sum over them (as for a bias)",
        "zh": "∂u/∂β = 1；每个 β_j 作用于所有样本，对样本求和（与偏置相同）",
    },
    "norm-scale-chain": {
        "en": "chain rule through u = γ ⊙ ẑ + β: ∂u_j/∂ẑ_j = γ_j",
        "zh": "经过 u = γ ⊙ ẑ + β 的链式法则：∂u_j/∂ẑ_j = γ_j",
    },
    "norm-variance-gradient": {
        "en": "chain rule: every ẑ divides by (σ² + ε)^(1/2), whose derivative is −½ (σ² + ε)^(−3/2); sum over the values that share the variance",
        "zh": "链式法则：每个 ẑ 都除以 (σ² + ε)^(1/2)，其导数为 −½ (σ² + ε)^(−3/2)；对共享同一方差的值求和",
    },
    "norm-mean-gradient": {
        "en": "chain rule along both paths of the mean: every ẑ subtracts it (−1/√(σ² + ε)), and the variance is taken around it (−2/N Σ(z − μ), which is 0)",
        "zh": "沿均值的两条路径使用链式法则：每个 ẑ 都减去它（−1/√(σ² + ε)），方差也围绕它计算（−2/N Σ(z − μ)，其值为 0）",
    },
    "norm-backward": {
        "en": "chain rule along the three paths from z: directly through ẑ, through the variance (∂σ²/∂z = 2(z − μ)/N) and through the mean (∂μ/∂z = 1/N); collected, they give the compact form",
        "zh": "沿 z 出发的三条路径使用链式法则：直接经过 ẑ、经过方差（∂σ²/∂z = 2(z − μ)/N）、经过均值（∂μ/∂z = 1/N）；合并后得到紧凑形式",
    },
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
