"""The words of a post, in English and in Chinese: headings, why each step holds, and the text
around the notation table, the summary, the worked example, the code and the checks.

Chinese is written as a Chinese author would write it, not translated word for word. No phrase
holds maths: a {placeholder} is filled by the post model with words, with a number or with a
formula printed by the engine's printer ({rhs}: the step's own last, verified form).

Why a step holds (EXPLAIN) is keyed by the step's rule, optionally refined by a variant
(`rule/variant`, chosen by model.py from the step's structure: with or without a bias, one path
or several). The first step with a rule gets the full explanation; later steps with the same rule
get one of the AGAIN phrases, in turn, pointing back to the first ({first}), so that a post never
repeats one sentence step after step.
"""

from __future__ import annotations

from ..errors import UnknownName

LANGUAGES = ("en", "zh")

Phrases = dict[str, dict[str, str]]

#: Section headings. {layer}: the layer of the section's first step.
SECTION: Phrases = {
    "notation": {"en": "Notation", "zh": "记号"},
    "forward": {"en": "Forward pass", "zh": "前向传播"},
    "output": {"en": "Output layer", "zh": "输出层"},
    "hidden": {"en": "Back through layer {layer}", "zh": "反向经过第 {layer} 层"},
    "gradients": {"en": "Gradients of the parameters of layer {layer}", "zh": "第 {layer} 层参数的梯度"},
    "specialise": {"en": "Specialised to this network's cost and activations", "zh": "代入本网络的代价函数与激活函数"},
    "scalar": {"en": "Neuron by neuron", "zh": "逐个神经元推导"},
    "layout": {"en": "Matrix form under both weight layouts", "zh": "两种权重排列下的矩阵形式"},
    "summary": {"en": "Summary: the key equations", "zh": "小结：核心公式"},
    "example": {"en": "A worked example with every number", "zh": "完整数值算例"},
    "code": {"en": "The code", "zh": "代码"},
    "checks": {"en": "How these formulas were checked", "zh": "这些公式是如何检验的"},
}

#: Why a step holds, the first time its rule appears.
EXPLAIN: Phrases = {
    "standardize": {
        "en": "The mean and standard deviation belong to the data, not to the parameters: they are constants "
              "here, and no gradient flows through them.",
        "zh": "均值和标准差由数据决定，与参数无关，在这里当作常数，梯度不会经过它们。",
    },
    "affine/bias": {
        "en": "This defines the layer: each neuron takes a weighted sum of the previous layer's outputs and adds "
              "its bias.",
        "zh": "这是该层的定义：每个神经元对上一层的输出加权求和，再加上自己的偏置。",
    },
    "affine": {
        "en": "This defines the layer: each neuron takes a weighted sum of the previous layer's outputs.",
        "zh": "这是该层的定义：每个神经元对上一层的输出加权求和。",
    },
    "affine-entry": {
        "en": "The layer's matrix product, written out for one entry: a sum over the neurons of the previous layer.",
        "zh": "把该层的矩阵乘积写成单个分量，就是对上一层所有神经元求和。",
    },
    "activation": {
        "en": "The activation function acts on each weighted input separately.",
        "zh": "激活函数分别作用在每个加权输入上。",
    },
    "activation/joint": {
        "en": "Softmax acts on each sample as a whole: every output depends on every weighted input of its sample.",
        "zh": "softmax 作用于整个样本：每个输出都依赖同一样本的全部加权输入。",
    },
    "cost": {
        "en": "This is the cost to minimise, summed over the outputs (and, for a batch, over the samples).",
        "zh": "这是要最小化的代价函数，对所有输出求和（批量训练时还要对所有样本求和）。",
    },
    "cost-mean": {
        "en": "This is the cost to minimise, summed over the outputs and averaged over the samples of the batch: "
              "the sum is divided by the number of samples.",
        "zh": "这是要最小化的代价函数：对所有输出求和，再对批次中的样本取平均，也就是把总和除以样本数。",
    },
    "definition": {
        "en": "Backpropagation passes one quantity from layer to layer, so it gets a name: the error of a neuron "
              "is how fast the cost changes with that neuron's weighted input.",
        "zh": "反向传播在层与层之间传递的是同一个量，先给它起个名字：神经元的误差，就是代价对该神经元加权输入的变化率。",
    },
    "cost-derivative": {
        "en": "Differentiate the cost with respect to each output: the terms of the other outputs do not depend on "
              "it and drop out.",
        "zh": "对每个输出求代价的偏导数；其余输出对应的项与它无关，求导后直接消失。",
    },
    "cost-derivative-mean": {
        "en": "Differentiate the cost with respect to each output: the terms of the other outputs drop out, and the "
              "average over the batch keeps its factor of one over the number of samples. Every error below "
              "inherits that factor.",
        "zh": "对每个输出求代价的偏导数：其余输出的项求导后消失，对批次取平均带来的“除以样本数”保留下来，"
              "下文的每个误差都带着这个因子。",
    },
    "activation-derivative": {
        "en": "The derivative of the activation, written with the activation's own value, so that the numbers of "
              "the forward pass can be reused.",
        "zh": "激活函数的导数用激活值本身来表示，这样可以直接复用前向传播算出的结果。",
    },
    "softmax-jacobian": {
        "en": "Each softmax output depends on every weighted input of its sample, so the derivative is a full "
              "matrix; its diagonal alone would be wrong.",
        "zh": "每个 softmax 输出都依赖同一样本的所有加权输入，所以导数是一个完整的矩阵，只取对角线是错的。",
    },
    "chain-rule-elementwise": {
        "en": "Chain rule: the cost depends on a weighted input only through its activation, and each activation "
              "depends only on its own weighted input. The Jacobian in between is diagonal, so the matrix product "
              "becomes an elementwise (Hadamard) product.",
        "zh": "链式法则：代价只通过激活值依赖加权输入，而每个激活值只依赖自己的加权输入。中间的雅可比矩阵是对角阵，"
              "于是矩阵乘积化为逐元素相乘（Hadamard 积）。",
    },
    "chain-rule-entry": {"en": "The chain rule, for one entry.", "zh": "对单个分量使用链式法则。"},
    "chain-rule-softmax": {
        "en": "Chain rule through the full softmax Jacobian.",
        "zh": "链式法则，中间要乘上完整的 softmax 雅可比矩阵。",
    },
    "fused-cross-entropy-softmax": {
        "en": "Chain rule through the softmax Jacobian. With the cross-entropy cost and targets that sum to 1, "
              "nearly everything cancels, and what is left is {rhs}.",
        "zh": "沿 softmax 的雅可比矩阵使用链式法则。代价取交叉熵、且目标值之和为 1 时，几乎所有项都相互抵消，只剩下 {rhs}。",
    },
    "fused-cross-entropy-sigmoid": {
        "en": "Chain rule: the sigmoid's derivative cancels the cost's division by the output, which leaves {rhs}.",
        "zh": "链式法则：sigmoid 的导数恰好抵消了代价中除以输出的那一项，只剩下 {rhs}。",
    },
    "fused-binary-cross-entropy-sigmoid": {
        "en": "Chain rule: with a sigmoid output the two derivatives cancel, which leaves {rhs}.",
        "zh": "链式法则：输出层用 sigmoid 时，两个导数相互抵消，只剩下 {rhs}。",
    },
    "transpose-rule": {
        "en": "Chain rule: every activation of layer {layer} feeds each neuron of the next layer through one "
              "weight, so its gradient is the sum of those neurons' errors, each times its weight. As a matrix, "
              "that sum is a product with the transposed weight matrix.",
        "zh": "链式法则：第 {layer} 层的每个激活值都通过一个权重影响下一层的每个神经元，所以它的梯度是下一层各神经元误差的加权和，"
              "权重就是连接它们的那些权重。写成矩阵，就是乘以转置后的权重矩阵。",
    },
    "chain-rule-sum": {
        "en": "Chain rule, summed over every neuron of the next layer that this weighted input feeds.",
        "zh": "链式法则：对这个加权输入影响到的下一层所有神经元求和。",
    },
    "outer-product": {
        "en": "A weight appears only in the weighted input of its destination neuron, where it multiplies the "
              "activation of its source neuron. So each entry of the gradient is an error times an activation, "
              "and the whole matrix is an outer product.",
        "zh": "每个权重只出现在目标神经元的加权输入里，并与源神经元的激活值相乘。所以梯度的每个分量都是误差乘以激活值，"
              "整个矩阵就是一个外积。",
    },
    "batch-product": {
        "en": "Every sample contributes an error times an activation; the matrix product adds these contributions "
              "up over the batch.",
        "zh": "每个样本贡献一项“误差乘激活值”，矩阵乘积正好把这些贡献对整个批次求和。",
    },
    "bias-rule": {
        "en": "A bias enters its neuron's weighted input with coefficient 1, so its gradient is the neuron's error "
              "itself.",
        "zh": "偏置以系数 1 出现在神经元的加权输入中，所以它的梯度就是该神经元的误差本身。",
    },
    "batch-sum": {
        "en": "Every sample uses the same bias, so its gradient adds the errors up over the batch.",
        "zh": "所有样本共用同一组偏置，所以偏置的梯度是误差在整个批次上的总和。",
    },
    "chain-rule-weight": {
        "en": "Chain rule: the weight appears only in the weighted input of its destination neuron, and the "
              "derivative of that input with respect to the weight is the value the weight multiplies.",
        "zh": "链式法则：权重只出现在目标神经元的加权输入中，而这个输入对权重的导数，就是权重所乘的那个值。",
    },
    "chain-rule-bias": {
        "en": "Chain rule: a bias enters its neuron's weighted input with coefficient 1.",
        "zh": "链式法则：偏置以系数 1 进入神经元的加权输入。",
    },
    "dropout": {
        "en": "Dropout: the activation function acts on each weighted input separately, and each result is then "
              "multiplied by its entry of the mask m of layer {layer}. The mask is given, like the input: an entry is "
              "0 for a dropped unit and 1/(1 − p) for a kept one (inverted dropout, so that nothing needs rescaling at "
              "test time), which keeps the derivation deterministic.",
        "zh": "Dropout：激活函数分别作用在每个加权输入上，结果再逐元素乘以第 {layer} 层的掩码 m。掩码和输入一样是给定的："
              "被丢弃的单元为 0，保留的单元为 1/(1 − p)（反向 dropout，测试时无需再缩放），所以推导仍是确定的。",
    },
    "chain-rule-dropout": {
        "en": "Chain rule: each activation of layer {layer} is its own weighted input's activation times a fixed mask "
              "entry, so the Jacobian in between is still diagonal, with entries m_j f′(z_j). The mask therefore "
              "multiplies the error too: a dropped unit (m_j = 0) passes no error back, and a kept one passes it back "
              "scaled by 1/(1 − p). The derivative stays in terms of z: the activation a now carries the mask, so an "
              "identity such as σ′ = a(1 − a) no longer holds.",
        "zh": "链式法则：第 {layer} 层的每个激活值等于自己的加权输入的激活再乘以一个固定的掩码分量，所以中间的雅可比矩阵仍是对角阵，"
              "对角元为 m_j f′(z_j)。因此掩码也乘到误差上：被丢弃的单元（m_j = 0）不向回传误差，保留的单元把误差乘以 1/(1 − p) 传回。"
              "导数仍用 z 表示：激活值 a 已经带上了掩码，σ′ = a(1 − a) 这样的恒等式不再成立。",
    },
    "norm-mean": {
        "en": "The normalisation starts from the mean μ of layer {layer}'s weighted inputs: for batch normalisation one "
              "mean per neuron, over the n samples of the batch; for layer normalisation one mean per sample, over the "
              "layer's neurons. The layer has no bias: the mean would remove it anyway, and the shift β takes its place.",
        "zh": "归一化从第 {layer} 层加权输入的均值 μ 开始：批归一化是每个神经元一个均值，对批内 n 个样本取平均；"
              "层归一化是每个样本一个均值，对本层的神经元取平均。这一层不设偏置：减去均值时偏置反正会被消掉，由平移参数 β 代替它。",
    },
    "norm-variance": {
        "en": "The variance σ² of the same values around that mean, divided by their number (the biased estimate, "
              "which is what training uses). It depends on the weighted inputs directly and through the mean.",
        "zh": "同一组值围绕该均值的方差 σ²，除以值的个数（有偏估计，训练时正是用它）。它既直接依赖加权输入，也通过均值依赖它们。",
    },
    "norm-standardise": {
        "en": "Each weighted input is centred on its mean and divided by √(σ² + ε); the small constant ε keeps the "
              "division finite when the values are all equal.",
        "zh": "每个加权输入减去自己的均值，再除以 √(σ² + ε)；小常数 ε 保证所有值相等时除法仍然有意义。",
    },
    "norm-scale-shift": {
        "en": "The learned scale γ and shift β, one of each per neuron, give the layer back the freedom to choose its "
              "own mean and spread.",
        "zh": "可学习的缩放 γ 与平移 β（每个神经元各一个）让这一层重新可以自己决定均值与分散程度。",
    },
    "norm-activation": {
        "en": "The activation function acts on each normalised, scaled and shifted value u separately.",
        "zh": "激活函数分别作用在每个归一化、缩放并平移后的值 u 上。",
    },
    "chain-rule-norm-activation": {
        "en": "Chain rule: each activation of layer {layer} depends only on its own u, so the Jacobian is diagonal and "
              "the product is elementwise. The derivative is taken at u, the activation's argument, not at the "
              "weighted input z: normalisation sits between them.",
        "zh": "链式法则：第 {layer} 层的每个激活值只依赖自己的 u，所以雅可比矩阵是对角阵，乘积是逐元素的。"
              "导数取在激活函数的自变量 u 处，而不是加权输入 z 处：两者之间隔着归一化。",
    },
    "norm-scale-gradient": {
        "en": "u = γ ⊙ ẑ + β, so the derivative of u with respect to a scale is the normalised value it multiplies. "
              "One scale acts on every sample, so the contributions are summed over the batch.",
        "zh": "u = γ ⊙ ẑ + β，所以 u 对缩放参数的导数就是它所乘的归一化值。同一个缩放参数作用于每个样本，因此要对批次求和。",
    },
    "norm-shift-gradient": {
        "en": "A shift enters u with coefficient 1, like a bias, so its gradient is the gradient with respect to u, "
              "summed over the samples.",
        "zh": "平移参数以系数 1 进入 u，和偏置一样，所以它的梯度就是对 u 的梯度，再对样本求和。",
    },
    "norm-scale-chain": {
        "en": "Chain rule through u = γ ⊙ ẑ + β: each u depends on its own ẑ with derivative γ.",
        "zh": "经过 u = γ ⊙ ẑ + β 的链式法则：每个 u 只依赖自己的 ẑ，导数为 γ。",
    },
    "norm-variance-gradient": {
        "en": "The variance reaches the cost through every normalised value that shares it: each divides by "
              "(σ² + ε)^(1/2), whose derivative is −½ (σ² + ε)^(−3/2). Summing over those values gives this gradient.",
        "zh": "方差通过共享它的每一个归一化值影响代价：每个值都除以 (σ² + ε)^(1/2)，其导数为 −½ (σ² + ε)^(−3/2)。"
              "对这些值求和就得到这个梯度。",
    },
    "norm-mean-gradient": {
        "en": "The mean has two paths to the cost: every normalised value subtracts it (derivative −1/√(σ² + ε)), and "
              "the variance is taken around it (derivative −2/N times the sum of z − μ). That sum is 0, since the "
              "deviations from a mean cancel, so only the first path is left.",
        "zh": "均值有两条路径影响代价：每个归一化值都减去它（导数为 −1/√(σ² + ε)），方差也是围绕它计算的（导数为 −2/N 乘以 z − μ 之和）。"
              "偏离均值的量加起来为 0，所以只剩第一条路径。",
    },
    "norm-backward": {
        "en": "A weighted input reaches the cost three ways: through its own normalised value, through the variance "
              "(∂σ²/∂z = 2(z − μ)/N) and through the mean (∂μ/∂z = 1/N), where N is the number of values the "
              "statistics are taken over. Adding the three paths and writing (z − μ)/√(σ² + ε) as ẑ collects them into "
              "the compact form: N times the value's own gradient, minus the sum of those gradients, minus ẑ times the "
              "sum of the gradients weighted by ẑ, all over N√(σ² + ε).",
        "zh": "一个加权输入通过三条路径影响代价：经过它自己的归一化值、经过方差（∂σ²/∂z = 2(z − μ)/N）、经过均值（∂μ/∂z = 1/N），"
              "其中 N 是统计量所涵盖的值的个数。把三条路径相加，并把 (z − μ)/√(σ² + ε) 写成 ẑ，就得到紧凑形式："
              "N 乘以自身的梯度，减去这些梯度之和，再减去 ẑ 乘以以 ẑ 加权的梯度之和，最后整体除以 N√(σ² + ε)。",
    },
    "chain-rule-dropout-entry": {
        "en": "Chain rule, summed over every neuron of the next layer that this weighted input feeds; the unit's "
              "mask entry multiplies the derivative of its activation.",
        "zh": "链式法则：对这个加权输入影响到的下一层所有神经元求和；该单元的掩码分量乘在激活函数的导数上。",
    },
    "residual": {
        "en": "Residual (skip) connection: layer {layer} applies its activation to each weighted input separately and "
              "then adds {skip}, an earlier output of the same width, unchanged. The added term does not depend on "
              "this layer's weighted input, but it gives {skip} a second path to the cost.",
        "zh": "残差（跳跃）连接：第 {layer} 层先对每个加权输入分别作用激活函数，再原样加上宽度相同的前面一层的输出 {skip}。"
              "加上的这一项与本层的加权输入无关，但它让 {skip} 多了一条通往代价的路径。",
    },
    "residual-gradient": {
        "en": "Chain rule, with two paths. The activations of layer {layer} feed the next layer through its weights, "
              "which gives the product with the transposed weight matrix, as without a skip. The residual connection "
              "also adds them unchanged to a later layer's output, and the derivative of that sum with respect to "
              "them is the identity, so the gradient of that later output, {skip}, comes straight back and is added. "
              "This is where the skip's extra path enters the error.",
        "zh": "链式法则，这里有两条路径。第 {layer} 层的激活值一方面经过下一层的权重往后传，这一条给出与转置权重矩阵的乘积，"
              "和没有跳跃连接时一样；另一方面，残差连接把它们原样加到后面某一层的输出上，这个和对它们的导数是单位矩阵，"
              "所以那一层输出的梯度 {skip} 原封不动地传回来，直接加上。跳跃连接带来的额外路径，就是在这里进入误差的。",
    },
    "chain-rule-residual": {
        "en": "Chain rule: the term the skip adds to the activations of layer {layer} does not depend on this layer's "
              "weighted input, so the Jacobian in between is still diagonal, with entries f′(z_j), and the product is "
              "elementwise. The derivative stays in terms of z: the activation a now includes the skip, so it is no "
              "longer f(z), and an identity such as σ′ = a(1 − a) no longer holds.",
        "zh": "链式法则：跳跃连接加到第 {layer} 层激活值上的那一项与本层的加权输入无关，所以中间的雅可比矩阵仍是对角阵，"
              "对角元为 f′(z_j)，乘积是逐元素的。导数仍用 z 表示：激活值 a 里已经含有跳过来的那一项，不再等于 f(z)，"
              "σ′ = a(1 − a) 这样的恒等式不再成立。",
    },
    "chain-rule-residual-entry": {
        "en": "Chain rule, summed over every neuron of the next layer that this activation feeds, plus the skip's "
              "direct path: the same entry of the later layer's output, whose derivative with respect to it is 1.",
        "zh": "链式法则：对这个激活值影响到的下一层所有神经元求和，再加上跳跃连接的直接路径：后面那一层输出的同一分量，"
              "它对这个激活值的导数是 1。",
    },
    "cost-l2": {
        "en": "This is the cost to minimise: the data term, summed over the outputs (and, for a batch, over the "
              "samples), plus the L2 penalty. The penalty adds half of the weight decay λ times the sum of the squares "
              "of every weight, so that large weights cost something too.",
        "zh": "这是要最小化的代价函数：数据项对所有输出求和（批量训练时还要对所有样本求和），再加上 L2 惩罚项。"
              "惩罚项是权重衰减系数 λ 的一半乘以所有权重的平方和，权重越大，代价越高。",
    },
    "cost-mean-l2": {
        "en": "This is the cost to minimise: the data term averaged over the samples of the batch, plus the L2 "
              "penalty. Like the data term, the penalty is divided by the number of samples (the convention of "
              "Andrew Ng's course), so it is λ over twice the batch size times the sum of the squares of every weight.",
        "zh": "这是要最小化的代价函数：数据项对批次中的样本取平均，再加上 L2 惩罚项。与数据项一样，惩罚项也除以样本数"
              "（吴恩达课程中的写法），即 λ 除以两倍的样本数，再乘以所有权重的平方和。",
    },
    "weight-decay": {
        "en": "Two terms of the cost depend on these weights. The data term reaches them only through the layer's "
              "weighted input, exactly as without the penalty: that gives the first term, built from the layer's error. "
              "The penalty depends on the weights directly, and the derivative of half of λ times a squared weight is λ "
              "times the weight: that is the extra term. In a gradient step it shrinks every weight a little towards "
              "zero, which is why this penalty is also called weight decay.",
        "zh": "代价中有两项依赖这些权重。数据项只通过该层的加权输入依赖权重，和没有惩罚项时完全一样，于是得到第一项，由该层的误差构成。"
              "惩罚项直接依赖权重，λ 的一半乘以权重的平方，求导后就是 λ 乘以权重本身，这就是多出来的那一项。"
              "梯度下降时它让每个权重都向零收缩一点，所以这个惩罚项也叫权重衰减。",
    },
    "bias-decay": {
        "en": "The data term gives the layer's error, as without the penalty; here the penalty covers the biases "
              "too, and adds λ times each bias.",
        "zh": "数据项给出该层的误差，和没有惩罚项时一样；这里惩罚项也包括偏置，于是再加上 λ 乘以每个偏置。",
    },
    "chain-rule-weight-decay": {
        "en": "Chain rule for the data term: the weight appears only in the weighted input of its destination "
              "neuron, where it multiplies one value. The penalty holds the square of this one weight, whose "
              "derivative adds λ times the weight.",
        "zh": "对数据项用链式法则：权重只出现在目标神经元的加权输入中，并与一个值相乘。惩罚项里含有这个权重的平方，"
              "求导后再加上 λ 乘以该权重。",
    },
    "chain-rule-bias-decay": {
        "en": "Chain rule for the data term: a bias enters its neuron's weighted input with coefficient 1. The "
              "penalty holds the square of the bias, whose derivative adds λ times the bias.",
        "zh": "对数据项用链式法则：偏置以系数 1 进入神经元的加权输入。惩罚项里含有偏置的平方，求导后再加上 λ 乘以该偏置。",
    },
    "affine-scalar": {
        "en": "One neuron's weighted input: every incoming weight times the value it carries, added up.",
        "zh": "单个神经元的加权输入：每条输入连接上的权重乘以它传来的值，再全部相加。",
    },
    "activation-scalar": {
        "en": "The neuron's output is the activation function of its weighted input.",
        "zh": "神经元的输出，就是对它的加权输入作用激活函数。",
    },
    "cost-scalar": {
        "en": "The cost, written with the values of the output neurons.",
        "zh": "用各输出神经元的值写出代价函数。",
    },
    "chain-rule-scalar": {
        "en": "Chain rule along the only path from this weight to the cost: through the weighted input and the "
              "output of its destination neuron.",
        "zh": "链式法则：从这个权重到代价只有一条路径，先经过目标神经元的加权输入，再经过它的输出。",
    },
    "chain-rule-scalar/paths": {
        "en": "This weight reaches the cost along several paths, one through each neuron of the next layer; the "
              "chain rule adds their contributions.",
        "zh": "这个权重经过下一层的每个神经元各有一条通向代价的路径，链式法则把各条路径的贡献加起来。",
    },
    "layout-destination": {
        "en": "Each row holds the weights into one destination neuron; this is the layout of every matrix formula "
              "in this post.",
        "zh": "每一行是进入同一个目标神经元的权重；本文所有矩阵公式都采用这种排列。",
    },
    "layout-source": {
        "en": "Many writers pack the same weights the other way, one row per source neuron. That matrix is the "
              "transpose, and so is its gradient.",
        "zh": "不少人习惯把同一组权重按源神经元排成行。这样得到的矩阵是原来的转置，它的梯度也随之转置。",
    },
}

#: Later steps with a rule already explained: one phrase each, used in turn.
AGAIN: dict[str, dict[str, tuple[str, ...]]] = {
    "": {  # any rule without phrases of its own
        "en": ("The same rule as in step {first}.", "As in step {first}.", "Step {first} again, for this layer."),
        "zh": ("理由同第 {first} 步。", "与第 {first} 步同理。", "仿照第 {first} 步即可得到。"),
    },
    "affine": {
        "en": ("Layer {layer} is built the same way, from the outputs of the layer before.",),
        "zh": ("第 {layer} 层按同样的方式，由上一层的输出得到。",),
    },
    "activation": {
        "en": ("Layer {layer} applies its activation the same way.",),
        "zh": ("第 {layer} 层同样逐个作用激活函数。",),
    },
    "activation-derivative": {
        "en": ("The same derivative, for layer {layer}.", "Its derivative, as in step {first}."),
        "zh": ("第 {layer} 层的导数同理。", "导数的写法同第 {first} 步。"),
    },
    "chain-rule-elementwise": {
        "en": ("The chain rule of step {first}, one layer further back.",
               "As in step {first}: a diagonal Jacobian, so an elementwise product."),
        "zh": ("与第 {first} 步一样使用链式法则，只是又往回退了一层。", "同第 {first} 步：雅可比矩阵是对角阵，所以是逐元素相乘。"),
    },
    "transpose-rule": {
        "en": ("Back through the weights of the next layer, as in step {first}.",),
        "zh": ("和第 {first} 步一样，经由下一层的权重往回传。",),
    },
    "outer-product": {
        "en": ("Again an outer product, as in step {first}.",),
        "zh": ("与第 {first} 步相同，仍是一个外积。",),
    },
    "batch-product": {
        "en": ("Summed over the batch, as in step {first}.",),
        "zh": ("与第 {first} 步一样，对整个批次求和。",),
    },
    "bias-rule": {
        "en": ("As in step {first}, the bias gradient is the error.",),
        "zh": ("同第 {first} 步，偏置的梯度就是误差。",),
    },
    "dropout": {
        "en": ("Layer {layer} applies its activation and then its mask, as in step {first}.",),
        "zh": ("第 {layer} 层同第 {first} 步一样，先作用激活函数，再乘以掩码。",),
    },
    "chain-rule-dropout": {
        "en": ("As in step {first}: the mask of layer {layer} multiplies the error.",),
        "zh": ("同第 {first} 步：第 {layer} 层的掩码乘到误差上。",),
    },
    "residual": {
        "en": ("Layer {layer} adds {skip} after its activation, as in step {first}.",),
        "zh": ("第 {layer} 层同第 {first} 步一样，作用激活函数后再加上 {skip}。",),
    },
    "residual-gradient": {
        "en": ("Two paths again, as in step {first}: back through the weights of the next layer, plus {skip} straight "
               "through the skip.",),
        "zh": ("同第 {first} 步，有两条路径：经由下一层的权重往回传，再加上经跳跃连接直接传回的 {skip}。",),
    },
    "chain-rule-residual": {
        "en": ("As in step {first}: an elementwise product, with f′ in terms of z.",),
        "zh": ("同第 {first} 步：逐元素相乘，导数用 z 表示。",),
    },
    "weight-decay": {
        "en": ("As in step {first}: the error term, plus λ times the weights from the penalty.",),
        "zh": ("同第 {first} 步：误差项，再加上惩罚项带来的 λ 乘以权重。",),
    },
    "batch-sum": {
        "en": ("The errors summed over the batch, as in step {first}.",),
        "zh": ("同第 {first} 步，对批次上的误差求和。",),
    },
    "affine-scalar": {
        "en": ("The same for the next neuron.", "Likewise for this neuron."),
        "zh": ("下一个神经元同理。", "这个神经元也一样。"),
    },
    "activation-scalar": {
        "en": ("Its output, as in step {first}.", "Likewise, its output."),
        "zh": ("它的输出同第 {first} 步。", "输出同理。"),
    },
    "chain-rule-scalar": {
        "en": ("One path again, so one product of derivatives.", "Likewise a single path, for another weight."),
        "zh": ("同样只有一条路径，所以是一串导数的乘积。", "同理，这个权重也只有一条路径。"),
    },
    "chain-rule-scalar/paths": {
        "en": ("Again one path through each neuron of the next layer.", "Several paths again, as in step {first}."),
        "zh": ("同样，经过下一层的每个神经元都有一条路径。", "与第 {first} 步一样，有多条路径。"),
    },
    "layout-destination": {
        "en": ("Written entry by entry, the gradient keeps this layout.", "The same layout for layer {layer}."),
        "zh": ("把梯度逐项写出，排列方式不变。", "第 {layer} 层采用同样的排列。"),
    },
    "layout-source": {
        "en": ("Under that layout the gradient is transposed too.", "The rows-per-source-neuron packing again."),
        "zh": ("在这种排列下，梯度同样要转置。", "再看按源神经元排成行的写法。"),
    },
}

#: A sentence added once, after the first step of a kind (keyed by the step's `what`).
STEP_NOTE: Phrases = {
    "scalar-weight-gradient": {
        "en": "The last two forms say which entry of the gradient matrix this is: with rows = destination neuron "
              "(the layout of this post), then with rows = source neuron.",
        "zh": "最后两个等式指出它是梯度矩阵中的哪个元素：先按“行对应目标神经元”（本文的排列），再按“行对应源神经元”。",
    },
}

COST_NAMES: Phrases = {
    "quadratic": {"en": "quadratic", "zh": "二次"},
    "cross-entropy": {"en": "cross-entropy", "zh": "交叉熵"},
    "binary-cross-entropy": {"en": "binary cross-entropy", "zh": "二元交叉熵"},
    "mean-absolute-error": {"en": "absolute-error", "zh": "绝对误差"},
    "huber": {"en": "Huber", "zh": "Huber "},
}

#: An entry named with a parameter's value (leaky-relu:0.2, huber:0.5).
WITH_PARAMETER: Phrases = {
    "with-parameter": {"en": "{name} ({letter} = {value})", "zh": "{name}（{letter} = {value}）"},
}

#: What each quantity of the notation table means. {layer}: its layer.
MEANING: Phrases = {
    "x": {"en": "the input", "zh": "输入"},
    "x-batch": {"en": "the inputs of the batch", "zh": "一批输入"},
    "xhat": {"en": "the standardised input", "zh": "标准化后的输入"},
    "z": {"en": "the weighted inputs of layer {layer}", "zh": "第 {layer} 层的加权输入"},
    "a": {"en": "the activations (outputs) of layer {layer}", "zh": "第 {layer} 层的激活值（输出）"},
    "a-output": {"en": "the network's output", "zh": "网络的输出"},
    "a-residual": {"en": "the outputs of layer {layer}: its activations plus {skip}, carried over by the residual "
                         "connection", "zh": "第 {layer} 层的输出：激活值加上残差连接带过来的 {skip}"},
    "a-output-residual": {"en": "the network's output: the activations of layer {layer} plus {skip}, carried over by "
                                "the residual connection", "zh": "网络的输出：第 {layer} 层的激活值加上残差连接带过来的 {skip}"},
    "W-column": {
        "en": "the weights of layer {layer}; row j holds the weights into neuron j of that layer",
        "zh": "第 {layer} 层的权重，第 j 行是进入该层第 j 个神经元的权重",
    },
    "W-row": {
        "en": "the weights of layer {layer}; row k holds the weights out of neuron k of the layer before",
        "zh": "第 {layer} 层的权重，第 k 行是从上一层第 k 个神经元出发的权重",
    },
    "b": {"en": "the biases of layer {layer}", "zh": "第 {layer} 层的偏置"},
    "y": {"en": "the target", "zh": "目标值"},
    "delta": {
        "en": "the error of layer {layer}: the gradient of the cost with respect to its weighted inputs",
        "zh": "第 {layer} 层的误差，即代价对该层加权输入的梯度",
    },
    "cost": {"en": "the cost", "zh": "代价"},
    "mean": {"en": "the mean of the data (a constant)", "zh": "数据的均值（常数）"},
    "std": {"en": "the standard deviation of the data (a constant)", "zh": "数据的标准差（常数）"},
    "batch": {"en": "the number of samples in the batch", "zh": "批次中的样本数"},
    "l2": {
        "en": "the weight decay: how strongly the L2 penalty holds the weights (not the biases) near zero",
        "zh": "权重衰减系数：L2 惩罚项把权重（不含偏置）拉向零的力度",
    },
    "l2-bias": {
        "en": "the weight decay: how strongly the L2 penalty holds the weights and the biases near zero",
        "zh": "权重衰减系数：L2 惩罚项把权重和偏置拉向零的力度",
    },
    "m": {
        "en": "the dropout mask of layer {layer}, given: 0 for a dropped unit, 1/(1 − p) for a kept one",
        "zh": "第 {layer} 层的 dropout 掩码（给定）：被丢弃的单元为 0，保留的单元为 1/(1 − p)",
    },
    "mu": {
        "en": "the mean of layer {layer}'s weighted inputs, over the batch (batch norm) or the layer (layer norm)",
        "zh": "第 {layer} 层加权输入的均值，对批次（批归一化）或对本层（层归一化）取",
    },
    "var": {
        "en": "the variance of layer {layer}'s weighted inputs around that mean",
        "zh": "第 {layer} 层加权输入围绕该均值的方差",
    },
    "zhat": {"en": "the normalised weighted inputs of layer {layer}", "zh": "第 {layer} 层归一化后的加权输入"},
    "u": {"en": "the input of layer {layer}'s activation: γ ⊙ ẑ + β", "zh": "第 {layer} 层激活函数的输入：γ ⊙ ẑ + β"},
    "gamma": {"en": "the learned scales of layer {layer}, one per neuron", "zh": "第 {layer} 层可学习的缩放参数，每个神经元一个"},
    "beta": {"en": "the learned shifts of layer {layer}, one per neuron", "zh": "第 {layer} 层可学习的平移参数，每个神经元一个"},
    "epsilon": {
        "en": "a small constant that keeps √(σ² + ε) away from 0",
        "zh": "一个小常数，使 √(σ² + ε) 不为 0",
    },
    "depth": {"en": "the number of layers", "zh": "层数"},
    "width": {"en": "the number of neurons of layer {layer}", "zh": "第 {layer} 层的神经元个数"},
    "activation": {"en": "{name}, applied to each entry", "zh": "{name} 函数，逐元素作用"},
    "activation-joint": {"en": "{name}, applied to each sample as a whole", "zh": "{name} 函数，作用于整个样本"},
    "weights-scalar": {
        "en": "the entries of {of}, each named by the two neurons it connects (source, then destination)",
        "zh": "{of} 的各个元素，用所连接的两个神经元编号命名（先源后目标）",
    },
    "entries-scalar": {
        "en": "the entries of {of}, numbered like the neurons in the diagram",
        "zh": "{of} 的各个元素，编号与图中的神经元一致",
    },
    "entries-by-output": {
        "en": "the entries of {of}, numbered from 1 in the order of the output neurons",
        "zh": "{of} 的各个元素，按输出神经元的顺序编号为 1, 2, …",
    },
}

#: The words of a post around its steps. {…} placeholders are filled by the post model.
POST: Phrases = {
    "title": {"en": "Backpropagation, step by step: {net}", "zh": "反向传播逐步推导：{net}"},
    "opening": {
        "en": "This post derives backpropagation for the {net} network, one step at a time: the forward pass, then "
              "the error of each layer from the output back, then the gradient of the cost with respect to every "
              "parameter. It ends with a summary of the key equations, a worked example with every number, {code}"
              "and how each formula was checked.",
        "zh": "本文一步一步推导 {net} 网络的反向传播：先做前向传播，再从输出层开始逐层往回求误差，最后求出代价对每个参数的梯度。"
              "文末给出核心公式小结、每个数都写出来的完整算例、{code}以及每个公式的检验方式。",
    },
    "opening-code": {"en": "the code, ", "zh": "代码，"},
    "opening-general": {
        "en": "This post derives the four equations of backpropagation for a fully connected network with any "
              "number of layers, one step at a time: first entry by entry, then as matrices. It ends with a "
              "summary of the key equations, a worked example with every number on a concrete network, {code}"
              "and how each formula was checked.",
        "zh": "本文一步一步推导任意层数全连接网络的反向传播四个基本方程：先逐个分量推导，再写成矩阵形式。"
              "文末给出核心公式小结、在一个具体网络上每个数都写出来的完整算例、{code}以及每个公式的检验方式。",
    },
    "description": {"en": "The network: {facts}.", "zh": "网络结构：{facts}。"},
    "fact-widths": {"en": "layer widths {widths}", "zh": "各层宽度 {widths}"},
    "fact-depth": {"en": "any number {depth} of layers", "zh": "任意层数 {depth}"},
    "fact-activations": {"en": "activations {names}", "zh": "激活函数 {names}"},
    "fact-cost": {"en": "{name} cost", "zh": "{name}代价"},
    "fact-column": {"en": "column convention (one sample is a column vector)", "zh": "列约定（一个样本是一个列向量）"},
    "fact-row": {"en": "row convention (one sample is a row vector)", "zh": "行约定（一个样本是一个行向量）"},
    "fact-no-bias": {"en": "no biases", "zh": "无偏置"},
    "fact-batch": {"en": "a batch of {n} samples", "zh": "一批 {n} 个样本"},
    "fact-one-sample": {"en": "one sample", "zh": "单个样本"},
    "fact-normalize": {"en": "the input is standardised first", "zh": "输入先做标准化"},
    "fact-mean": {"en": "the cost averaged over the batch", "zh": "代价对批次取平均"},
    "fact-residual": {"en": "a residual connection from layer {source} into layer {layer}",
                      "zh": "从第 {source} 层到第 {layer} 层的残差连接"},
    "fact-residual-input": {"en": "a residual connection from the input into layer {layer}",
                            "zh": "从输入到第 {layer} 层的残差连接"},
    "facts-glue": {"en": "; ", "zh": "；"},
    "list-glue": {"en": ", ", "zh": "、"},
    "sentence-glue": {"en": " ", "zh": ""},
    "verified-proved": {
        "en": "Every formula below was generated by derive from the network's definition and verified before it "
              "was printed: each entry was proved equal to the derivative of the fully expanded cost and checked "
              "against central differences. The last section lists the check of every step.",
        "zh": "下文的每个公式都由 derive 根据网络定义自动生成，并在输出前经过验证：每个分量都被严格证明等于完全展开后的代价函数的导数，"
              "并用中心差分做了数值检验。最后一节列出了每一步的检验方式。",
    },
    "verified-numeric": {
        "en": "Every formula below was generated by derive from the network's definition and checked against "
              "central differences at random points before it was printed. The last section lists the check of "
              "every step.",
        "zh": "下文的每个公式都由 derive 根据网络定义自动生成，并在输出前用随机点上的中心差分做了数值检验。"
              "最后一节列出了每一步的检验方式。",
    },
    "verified-general": {
        "en": "Every formula below was generated by derive and holds for any number of layers; each was checked "
              "on the concrete networks listed in the last section, which the same code builds.",
        "zh": "下文的每个公式都由 derive 自动生成，对任意层数都成立，并在最后一节列出的几个具体网络上经过检验"
              "（这些网络由同一段代码构造）。",
    },
    "diagram-alt": {"en": "Diagram of the {net} network", "zh": "{net} 网络结构图"},
    "diagram-caption": {
        "en": "The network, with neurons and weights named as in this post.",
        "zh": "网络结构图，神经元与权重的记号与正文一致。",
    },
    "assumption": {"en": "Assumption: {text}.", "zh": "假设：{text}。"},
    "notation-intro": {
        "en": "Every symbol of the post, once, with its shape:",
        "zh": "下表列出文中用到的每个记号及其形状：",
    },
    "notation-symbol": {"en": "Symbol", "zh": "记号"},
    "notation-shape": {"en": "Shape", "zh": "形状"},
    "notation-meaning": {"en": "Meaning", "zh": "含义"},
    "scalar": {"en": "scalar", "zh": "标量"},
    "scalars": {"en": "scalars", "zh": "标量"},
    "ranges": {"en": "This holds for {ranges}.", "zh": "其中 {ranges}。"},
    "dims-transpose": {
        "en": "The shapes show why the transpose is there: {shapes}.",
        "zh": "从形状可以看出为什么要转置：{shapes}。",
    },
    "dims-product": {
        "en": "The shapes fit: {shapes}.",
        "zh": "形状正好吻合：{shapes}。",
    },
    "summary-intro": {
        "en": "For this network, backpropagation comes down to these equations: the errors, from the output back, "
              "then the gradients.",
        "zh": "对这个网络来说，反向传播归结为下面几个公式：先从输出层往回求误差，再由误差得到梯度。",
    },
    "summary-intro-general": {
        "en": "These are the four equations of backpropagation: the output error, the error passed back one layer, "
              "and the gradients of the biases and the weights.",
        "zh": "这就是反向传播的四个基本方程：输出层的误差、误差逐层往回传、偏置的梯度和权重的梯度。",
    },
    "example-instance": {
        "en": "The numbers below use the network with widths {widths}.",
        "zh": "下面的数值取宽度为 {widths} 的网络。",
    },
    "example-given": {
        "en": "Take these inputs, targets and parameters (drawn with seed {seed} and rounded to two decimals, so you "
              "can reproduce every number):",
        "zh": "取下面这组输入、目标值和参数（由随机种子 {seed} 生成并保留两位小数，方便你复现每一个数）：",
    },
    "example-constants": {
        "en": "The mean and standard deviation of this input, the constants of the standardisation:",
        "zh": "这个输入的均值和标准差，就是标准化用到的两个常数：",
    },
    "example-unprinted": {
        "en": "Too large to print here, and drawn the same way: {names}.",
        "zh": "以下各量太大，这里不列出，生成方式相同：{names}。",
    },
    "example-forward": {
        "en": "The forward pass, layer by layer:",
        "zh": "逐层做前向传播：",
    },
    "example-cost": {"en": "which gives the cost:", "zh": "由此得到代价："},
    "example-errors": {
        "en": "Backwards, the error of each layer, from the output layer down:",
        "zh": "再反向计算，从输出层开始依次得到各层的误差：",
    },
    "example-formula": {"en": "The formulas above then give the gradients:", "zh": "再由上面的公式得到梯度："},
    "example-scalar": {"en": "Neuron by neuron, the same numbers:", "zh": "逐个神经元计算，结果相同："},
    "example-differences": {
        "en": "Central differences of the cost (Richardson-extrapolated, step {step}) give:",
        "zh": "对代价函数做中心差分（Richardson 外推，步长 {step}），得到：",
    },
    "example-large": {
        "en": "{name} has {count} entries, too many to print; {checked}.",
        "zh": "{name} 有 {count} 个分量，不便全部列出；{checked}。",
    },
    "example-large-entries": {
        "en": "central differences agree with the formula in all {count} of them",
        "zh": "中心差分在全部 {count} 个分量上都与公式一致",
    },
    "example-large-directions": {
        "en": "central differences along {count} random directions agree with the formula",
        "zh": "沿 {count} 个随机方向的中心差分都与公式一致",
    },
    "example-agree": {
        "en": "Formula and differences agree in all {count} checked values, and so do the errors of every layer: "
              "every relative difference is below {tolerance}.",
        "zh": "公式与差分在全部 {count} 个检验值上一致，各层的误差也一样：相对误差都小于 {tolerance}。",
    },
    "example-step": {
        "en": "One step of gradient descent with learning rate {rate} moves every parameter against its gradient:",
        "zh": "用学习率 {rate} 做一步梯度下降，每个参数都沿梯度的反方向移动：",
    },
    "example-lower": {
        "en": "At the new parameters the forward pass gives a cost of {after}, lower than {before}.",
        "zh": "在新的参数下再做一次前向传播，代价为 {after}，比原来的 {before} 更低。",
    },
    "example-flat": {
        "en": "At the new parameters the forward pass gives a cost of {after}: no lower than {before}, because the "
              "gradient vanishes at these values.",
        "zh": "在新的参数下再做一次前向传播，代价为 {after}，并不低于原来的 {before}，因为梯度在这组数值上为零。",
    },
    "code-intro": {
        "en": "{command} writes this network's gradient function as a standalone NumPy module. Every statement "
              "implements one verified step and quotes it in the comment above it. The heart of the module:",
        "zh": "{command} 会把这个网络的梯度函数写成一个独立的 NumPy 模块，每条语句都对应一个已验证的步骤，"
              "并在上方的注释里引用该步骤。模块的核心部分如下：",
    },
    "code-intro-notebook": {
        "en": "{command} writes this network's gradient function as a standalone NumPy module. Every statement "
              "implements one verified step and quotes it in the comment above it. Here is the module, without "
              "its self-test:",
        "zh": "{command} 会把这个网络的梯度函数写成一个独立的 NumPy 模块，每条语句都对应一个已验证的步骤，"
              "并在上方的注释里引用该步骤。下面是这个模块（省略了自检部分）：",
    },
    "code-check": {
        "en": "Saved as grad.py ({command}), it reproduces the worked example, and three lines check every entry "
              "of every gradient against central differences; the number printed is the largest difference, far "
              "below {tolerance}:",
        "zh": "把它保存为 grad.py（{command}），就能复现上面的算例；再用三行代码把每个梯度的每个分量与中心差分比较，"
              "打印出的最大差值远小于 {tolerance}：",
    },
    "code-check-own-statistics": {
        "en": "Saved as grad.py ({command}), it runs on the worked example's values, but it standardises each "
              "sample with that sample's own mean and standard deviation, where the derivation takes one mean "
              "and one deviation of the data: its numbers differ from the example's. Three lines check every "
              "entry of every gradient against central differences; the number printed is the largest "
              "difference, far below {tolerance}:",
        "zh": "把它保存为 grad.py（{command}）后可以在算例的数值上运行，但它用每个样本自己的均值和标准差做标准化，"
              "而推导中取的是整批数据的均值和标准差，所以算出的数与上面的算例不同。再用三行代码把每个梯度的每个分量"
              "与中心差分比较，打印出的最大差值远小于 {tolerance}：",
    },
    "code-example-own-statistics": {
        "en": "The worked example's values, run through this code: the cost, the gradients, one step of gradient "
              "descent and the new cost (with each sample standardised by its own mean and standard deviation, so "
              "these numbers differ from the example's).",
        "zh": "把算例的数值代入这段代码，算出代价、梯度、一步梯度下降以及新的代价（每个样本按自己的均值和标准差标准化，"
              "所以结果与上面的算例不同）。",
    },
    "code-example-notebook": {
        "en": "The worked example, computed by this code: the cost, the gradients, one step of gradient descent "
              "and the new cost.",
        "zh": "用这段代码计算上面的算例：代价、梯度、一步梯度下降以及新的代价。",
    },
    "code-check-notebook": {
        "en": "Three lines check every entry of every gradient against central differences; the number printed is "
              "the largest difference, far below {tolerance}.",
        "zh": "三行代码把每个梯度的每个分量与中心差分比较，打印出的最大差值远小于 {tolerance}。",
    },
    "checks-intro": {
        "en": "Each step of this post and how it was verified before it was printed. An exact proof compares each "
              "entry with SymPy's derivative of the fully expanded scalar cost; central differences are "
              "Richardson-extrapolated, and the worst error is relative to the size of the gradient.",
        "zh": "下表列出本文每一步在输出前的检验方式。严格证明是把每个分量与 SymPy 对完全展开的标量代价求出的导数逐一比较；"
              "中心差分采用 Richardson 外推，最大误差是相对于梯度大小的相对误差。",
    },
    "checks-intro-general": {
        "en": "Each step of this post holds for any number of layers. derive built the same derivation for the "
              "concrete networks below and verified every step there; the table gives, for each general step, "
              "the checks of its counterparts.",
        "zh": "本文的每一步都对任意层数成立。derive 用同一段代码为下面几个具体网络构造了同样的推导，并逐步做了检验；"
              "下表给出每个一般步骤在这些具体网络上对应步骤的检验结果。",
    },
    "checks-step": {"en": "Step", "zh": "步骤"},
    "checks-method": {"en": "Method", "zh": "检验方式"},
    "checks-error": {"en": "Worst error", "zh": "最大误差"},
    "checks-definition": {"en": "definition", "zh": "定义"},
    "checks-exact": {"en": "exact", "zh": "严格相等"},
    "checks-none": {"en": "none", "zh": "无"},
    "method-symbolic": {"en": "exact proof ({count} entries)", "zh": "严格证明（{count} 个分量）"},
    "method-symbolic-one": {"en": "exact proof (1 entry)", "zh": "严格证明（1 个分量）"},
    "method-numeric": {"en": "central differences ({count} values)", "zh": "中心差分（{count} 个数值）"},
    "method-numeric-one": {"en": "central differences (1 value)", "zh": "中心差分（1 个数值）"},
    "method-instances": {"en": "on {widths}: {methods}", "zh": "在 {widths} 上：{methods}"},
    "method-symbolic-short": {"en": "exact proof", "zh": "严格证明"},
    "method-numeric-short": {"en": "central differences", "zh": "中心差分"},
    "instance": {"en": "Widths {widths}: {checks}.", "zh": "宽度 {widths}：{checks}。"},
    "instance-symbolic": {"en": "{count} entries proved exactly", "zh": "{count} 个分量严格证明"},
    "instance-numeric": {"en": "{count} values checked by central differences", "zh": "{count} 个数值经中心差分检验"},
    "step-title": {"en": "{number}. {title}, {lhs}", "zh": "{number}. {title}：{lhs}"},
    "stop": {"en": ".", "zh": "。"},
}


def text(table: Phrases, key: str, lang: str) -> str:
    """A phrase with its {placeholders} left in, for the post model to fill."""
    if lang not in LANGUAGES:
        raise UnknownName("language", lang, LANGUAGES)
    if key not in table:
        raise KeyError(f"no phrase for {key!r}")
    return table[key][lang]


def explanation_key(rule: str, variant: str) -> str:
    """The key of EXPLAIN that explains a step: `rule/variant` where the variant has its own phrase."""
    refined = f"{rule}/{variant}"
    if variant and refined in EXPLAIN:
        return refined
    if rule not in EXPLAIN:
        raise KeyError(f"no explanation for the rule {rule!r}")
    return rule


def explanation(key: str, lang: str) -> str:
    """Why a step holds, the first time its (refined) rule appears."""
    return text(EXPLAIN, key, lang)


def again(key: str, lang: str, occurrence: int) -> str:
    """The `occurrence`-th repeat (1 for the second step) of an explanation key."""
    for candidate in (key, key.split("/")[0], ""):
        if candidate in AGAIN:
            phrases = AGAIN[candidate][lang]
            return phrases[(occurrence - 1) % len(phrases)]
    raise KeyError(key)  # unreachable: AGAIN[""] holds every language
