using FusedOps;

namespace FusedOps.Tests.Pipelines;

// Grid Conv2d groups (stride 1, one group) with no BatchNorm whose training runs more in the Conv2dTrainer's epilogue and in
// its grid's prologue: a residual Add with and without an activation, and the next group's PReLU (per channel and one slope),
// RReLU, BipolarReLU and Maxout. Odd images and channel counts. No PReLU sits at an index ending in 0: the shared test perturbs
// every 1-d parameter except "…0.weight".

/// <summary>Every fused case on small odd shapes, one after another, then a Linear.</summary>
[FusedPipeline(3, 7, 9)]
[Save("a")]
[Conv2d(3, 3, Padding = 1)]
[Add("a")]
[SiLU]
[Save("b")]
[Conv2d(3, 1, Bias = false)]
[Add("b")]
[Conv2d(5, 3, Padding = 1)]
[PReLU(NumParameters = 5, Init = 0.2f)]
[Conv2d(6, 3)]
[RReLU]
[Conv2d(4, 1)]
[PReLU]
[Conv2d(6, 3, Padding = 1)]
[Maxout(2)]
[Conv2d(4, 3, Padding = 1)]
[BipolarReLU]
[Flatten]
[Linear(3)]
public partial class TrainingEpilogueNet
{
}

/// <summary>
/// Large enough (about 180 KFLOP per sample and conv) for the Conv2dTrainer to split a batch of 13 over threads: residual
/// Add + ReLU, PReLU per channel, RReLU, Maxout(3), PReLU with one slope; then PReLU and RReLU after Conv→BatchNorm (no bias
/// before the BatchNorms: its gradient is zero up to rounding, which a relative check cannot judge).
/// </summary>
[FusedPipeline(8, 12, 13)]
[Save("a")]
[Conv2d(8, 3, Padding = 1)]
[Add("a")]
[ReLU]
[Conv2d(8, 3, Padding = 1)]
[PReLU(NumParameters = 8)]
[Conv2d(8, 3, Padding = 1)]
[RReLU]
[Conv2d(12, 3, Padding = 1)]
[Maxout(3)]
[Conv2d(4, 3, Padding = 1)]
[PReLU]
[Conv2d(8, 3, Padding = 1, Bias = false)]
[BatchNorm]
[PReLU(NumParameters = 8)]
[Conv2d(8, 3, Padding = 1, Bias = false)]
[BatchNorm]
[RReLU]
public partial class TrainingEpilogueWide
{
}

/// <summary>
/// A channel activation after Conv2d→BatchNorm rides the normalise pass and BatchNorm's reduction pass: PReLU per channel and
/// with one slope, RReLU, BipolarReLU after a strided conv (not on the grid). No bias before the BatchNorms: their gradient is
/// zero up to rounding, which a relative check cannot judge.
/// </summary>
[FusedPipeline(3, 7, 9)]
[Conv2d(5, 3, Padding = 1, Bias = false)]
[BatchNorm]
[PReLU(NumParameters = 5, Init = 0.2f)]
[Conv2d(6, 3, Bias = false)]
[BatchNorm]
[RReLU]
[Conv2d(4, 3, Stride = 2, Bias = false)]
[BatchNorm]
[BipolarReLU]
[Conv2d(4, 1, Bias = false)]
[BatchNorm]
[PReLU]
[Flatten]
[Linear(3)]
public partial class TrainingEpilogueBn
{
}

/// <summary>Conv→BatchNorm→RReLU: the RReLU rides the normalise pass.</summary>
[FusedPipeline(3, 7, 9)]
[Conv2d(4, 3, Padding = 1)]
[BatchNorm]
[RReLU(Lower = 0.1f, Upper = 0.4f)]
public partial class ConvBnRReluFused
{
}

/// <summary>Conv→BatchNorm→Identity→RReLU: the group has an activation of its own, so the RReLU keeps its own passes.</summary>
[FusedPipeline(3, 7, 9)]
[Conv2d(4, 3, Padding = 1)]
[BatchNorm]
[Identity]
[RReLU(Lower = 0.1f, Upper = 0.4f)]
public partial class ConvBnRReluUnfused
{
}

/// <summary>Conv→RReLU: the RReLU runs in the conv's epilogue.</summary>
[FusedPipeline(3, 7, 9)]
[Conv2d(4, 3, Padding = 1)]
[RReLU(Lower = 0.1f, Upper = 0.4f)]
public partial class ConvRReluFused
{
}

/// <summary>Conv→Identity→RReLU: the conv has an activation of its own, so the RReLU keeps its own passes (same arithmetic).</summary>
[FusedPipeline(3, 7, 9)]
[Conv2d(4, 3, Padding = 1)]
[Identity]
[RReLU(Lower = 0.1f, Upper = 0.4f)]
public partial class ConvRReluUnfused
{
}
