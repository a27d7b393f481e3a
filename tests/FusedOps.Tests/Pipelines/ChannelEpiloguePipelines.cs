using FusedOps;

namespace FusedOps.Tests.Pipelines;

// Conv2d groups followed by PReLU, RReLU or BipolarReLU, which inference runs in the convolution's epilogue with one
// operator per output channel row, and Dropouts between groups, which inference skips (their output is their input's
// buffer). Odd images and channel counts, one and several register blocks, residual adds, the last group fused.
// No PReLU sits at an index ending in 0: the shared test perturbs every 1-d parameter except "…0.weight".

/// <summary>Conv→BN→PReLU per channel (5 slopes), an aliased Dropout, Conv→PReLU with one slope, then a Linear.</summary>
[FusedPipeline(3, 7, 9)]
[Conv2d(5, 3, Padding = 1)]
[BatchNorm]
[PReLU(NumParameters = 5, Init = 0.2f)]
[Dropout(P = 0.3f)]
[Conv2d(7, 3)]
[PReLU]
[Flatten]
[Linear(4)]
public partial class ConvPReluChannels
{
}

/// <summary>BipolarReLU on 7 channels (odd: the last is not negated), then on 21 (several blocks), then on 3 as the last group.</summary>
[FusedPipeline(4, 9, 11)]
[Conv2d(7, 3, Padding = 1)]
[BipolarReLU]
[Conv2d(21, 3, Stride = 2, Padding = 1, Groups = 7)]
[BipolarReLU]
[Conv2d(3, 1)]
[BipolarReLU]
public partial class ConvBipolarOdd
{
}

/// <summary>A residual Conv→BN→Add→RReLU (mean slope in inference), an aliased Dropout, then a wide conv with 21 PReLU slopes.</summary>
[FusedPipeline(4, 8, 9)]
[Save("a")]
[Conv2d(4, 3, Padding = 1)]
[BatchNorm]
[Add("a")]
[RReLU]
[Dropout(P = 0.2f)]
[Conv2d(21, 3, Stride = 2)]
[PReLU(NumParameters = 21)]
public partial class ResidualRReluPRelu
{
}

/// <summary>Not fused: a Save after the convolution (its output is read later), and a conv with an activation of its own.</summary>
[FusedPipeline(2, 6, 5)]
[Conv2d(4, 3, Padding = 1)]
[Save("s")]
[PReLU(NumParameters = 4)]
[Add("s")]
[Conv2d(4, 1)]
[Tanh]
[BipolarReLU]
public partial class ChannelNotFused
{
}

// FOPS0013 warns that BatchNorm after a Linear trains only with batches of 2 or more; the shared test skips training at batch 1.
#pragma warning disable FOPS0013

/// <summary>
/// PReLU per feature after Linear(37) (two whole 16-column panels and 5 columns), BipolarReLU after Linear(20) (odd features
/// on both sides of a panel edge), RReLU after Linear→BN as the last group: each in the packed GEMM's epilogue. No bias
/// before the BatchNorm: its gradient is zero up to rounding, which a relative check cannot judge.
/// </summary>
[FusedPipeline(11)]
[Linear(37)]
[PReLU(NumParameters = 37, Init = 0.2f)]
[Linear(20)]
[BipolarReLU]
[Linear(9, Bias = false)]
[BatchNorm]
[RReLU]
public partial class LinearChannelEpilogue
{
}

#pragma warning restore FOPS0013

/// <summary>
/// Conv features into Linear(6)→PReLU (one slope, fused); not fused: Linear→Tanh→PReLU (an activation of its own) and
/// Linear→Add→BipolarReLU (the residual add is a pass of its own).
/// </summary>
[FusedPipeline(2, 5, 4)]
[Conv2d(3, 3, Padding = 1)]
[Flatten]
[Linear(6)]
[PReLU]
[Linear(18)]
[Tanh]
[PReLU(NumParameters = 18)]
[Save("s")]
[Linear(18)]
[Add("s")]
[BipolarReLU]
public partial class LinearChannelMixed
{
}
