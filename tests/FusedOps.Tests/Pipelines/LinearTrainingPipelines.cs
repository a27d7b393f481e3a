using FusedOps;

namespace FusedOps.Tests.Pipelines;

// Linear groups whose training runs the activation (or the next layer's PReLU / BipolarReLU) in the forward GEMM's epilogue and its
// derivative in the pass before the backward GEMMs. Odd feature counts (not multiples of 12 or 16), with and without bias.
// No PReLU sits at an index ending in 0: the shared test perturbs every 1-d parameter except "…0.weight".

/// <summary>Five activations, each in its Linear's training epilogue: GELU, Tanh (no bias), SiLU, LeakyReLU, then Sigmoid as the last group.</summary>
[FusedPipeline(13)]
[Linear(37)]
[GELU]
[Linear(23, Bias = false)]
[Tanh]
[Linear(29)]
[SiLU]
[Linear(17)]
[LeakyReLU(NegativeSlope = 0.1f)]
[Linear(9)]
[Sigmoid]
public partial class LinearActivationTraining
{
}

/// <summary>
/// PReLU per feature after Linear(37), one slope after Linear(21) without bias, RReLU (slopes drawn per element) after Linear(27),
/// BipolarReLU after Linear(19) (odd: the last feature is not negated) as the last group: each in its Linear's training epilogue.
/// </summary>
[FusedPipeline(11)]
[Linear(37)]
[PReLU(NumParameters = 37, Init = 0.2f)]
[Linear(21, Bias = false)]
[PReLU]
[Linear(27)]
[RReLU(Lower = 0.1f, Upper = 0.4f)]
[Linear(19)]
[BipolarReLU]
public partial class LinearChannelTraining
{
}

/// <summary>Wide enough that the forward GEMM and the backward products split over two threads at batch 64: PReLU per feature, GELU, RReLU, Maxout(4), a plain head.</summary>
[FusedPipeline(200)]
[Linear(301)]
[PReLU(NumParameters = 301)]
[Linear(131)]
[GELU]
[Linear(67)]
[RReLU]
[Linear(96)]
[Maxout(4)]
[Linear(10)]
public partial class WideLinearTraining
{
}

/// <summary>
/// Maxout after a Linear in training, over runs of consecutive features: 2 pieces of 38 features (a partial last panel), 4 of 36
/// without bias, 8 of 40, 16 of 32 as the last group.
/// </summary>
[FusedPipeline(13)]
[Linear(38)]
[Maxout(2)]
[Linear(36, Bias = false)]
[Maxout(4)]
[Linear(40)]
[Maxout(8)]
[Linear(32)]
[Maxout(16)]
public partial class LinearMaxoutTraining
{
}

/// <summary>
/// Residual Linear groups (no BatchNorm) whose add and activation ride the training GEMMs: the input saved and added after Linear(13)
/// with ELU; Linear(19) (one whole panel and 3 columns) + Tanh; Linear(19) without bias + ReLU; Linear(37) + GELU (two panels and 5
/// columns); Linear(9) (the narrow path) + Sigmoid as the last group. Each saved tensor's gradient reaches the layers before it.
/// </summary>
[FusedPipeline(13)]
[Save("x")]
[Linear(13)]
[Add("x")]
[ELU]
[Linear(19)]
[GELU]
[Save("s")]
[Linear(19)]
[Add("s")]
[Tanh]
[Save("t")]
[Linear(19, Bias = false)]
[Add("t")]
[ReLU]
[Linear(37)]
[SiLU]
[Save("u")]
[Linear(37)]
[Add("u")]
[GELU]
[Linear(9)]
[ReLU]
[Save("v")]
[Linear(9)]
[Add("v")]
[Sigmoid]
public partial class LinearResidualTraining
{
}
