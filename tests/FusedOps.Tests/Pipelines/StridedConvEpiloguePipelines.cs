using FusedOps;

namespace FusedOps.Tests.Pipelines;

// Conv2d groups off the grid (stride 2, or two groups; a dilation alone stays on the grid) whose activation, residual Add, or next group's PReLU, RReLU,
// BipolarReLU or Maxout ride the generated per-sample kernels' loop in training (TrainingConv). Odd images and channel counts.
// No PReLU sits at an index ending in 0: the shared test perturbs every 1-d parameter except "…0.weight". The "…Unfused" twins
// put an Identity before each activation: the conv group takes the Identity, and the activation keeps its own passes over the
// batch (the same arithmetic, so the same bits).

/// <summary>Every activation kind after each kind of non-grid conv, no BatchNorm, then a Linear.</summary>
[FusedPipeline(3, 9, 11)]
[Conv2d(6, 3, Stride = 2, Padding = 1)]
[ReLU]
[Conv2d(6, 3, Groups = 2, Padding = 1)]
[GELU]
[Conv2d(5, 3, Dilation = 2, Padding = 2, Stride = 2)]
[PReLU(NumParameters = 5, Init = 0.2f)]
[Conv2d(4, 3, Stride = 2)]
[BipolarReLU]
[Conv2d(8, 1, Groups = 2)]
[Maxout(2)]
[Flatten]
[Linear(3)]
public partial class StridedActivations
{
}

/// <summary>A residual Add with an activation (grouped, dilated conv) and without (grouped conv), then PReLU with one slope and RReLU after strided convs.</summary>
[FusedPipeline(4, 7, 9)]
[Save("a")]
[Conv2d(4, 3, Dilation = 2, Padding = 2, Groups = 2)]
[Add("a")]
[GELU]
[Save("b")]
[Conv2d(4, 3, Groups = 2, Padding = 1)]
[Add("b")]
[Conv2d(6, 3, Stride = 2, Padding = 1)]
[PReLU(Init = 0.3f)]
[Conv2d(4, 3, Stride = 2, Padding = 1)]
[RReLU]
[Flatten]
[Linear(3)]
public partial class StridedResidual
{
}

/// <summary>
/// The same kinds after Conv2d→BatchNorm (the activation, channel activation or Maxout in the normalise and reduction passes), and a
/// residual Add after BatchNorm. No bias before the BatchNorms: its gradient is zero up to rounding, which a relative check cannot judge.
/// </summary>
[FusedPipeline(3, 9, 11)]
[Conv2d(6, 3, Stride = 2, Padding = 1, Bias = false)]
[BatchNorm]
[ReLU]
[Conv2d(6, 3, Groups = 2, Padding = 1, Bias = false)]
[BatchNorm]
[GELU]
[Save("a")]
[Conv2d(6, 3, Dilation = 2, Padding = 2, Groups = 2, Bias = false)]
[BatchNorm]
[Add("a")]
[SiLU]
[Conv2d(6, 3, Dilation = 2, Padding = 2, Groups = 2, Bias = false)]
[BatchNorm]
[PReLU(NumParameters = 6)]
[Conv2d(4, 3, Stride = 2, Bias = false)]
[BatchNorm]
[BipolarReLU]
[Conv2d(8, 1, Groups = 2, Bias = false)]
[BatchNorm]
[Maxout(2)]
[Flatten]
[Linear(3)]
public partial class StridedBatchNorm
{
}

/// <summary>Every fused stage off the grid in one chain, for the bitwise comparison with <see cref="StridedChainUnfused"/>.</summary>
[FusedPipeline(4, 7, 9)]
[Save("a")]
[Conv2d(4, 3, Dilation = 2, Padding = 2, Groups = 2)]
[Add("a")]
[SiLU]
[Conv2d(6, 3, Stride = 2, Padding = 1)]
[GELU]
[Conv2d(6, 3, Groups = 2, Padding = 1)]
[PReLU(NumParameters = 6)]
[Conv2d(8, 3, Stride = 2, Padding = 1)]
[Maxout(2)]
[Conv2d(4, 1, Groups = 2)]
[RReLU]
[Conv2d(5, 3, Dilation = 2, Padding = 2, Stride = 2)]
[BipolarReLU]
public partial class StridedChainFused
{
}

/// <summary><see cref="StridedChainFused"/> with an Identity before each activation: the activations keep their own passes.</summary>
[FusedPipeline(4, 7, 9)]
[Save("a")]
[Conv2d(4, 3, Dilation = 2, Padding = 2, Groups = 2)]
[Add("a")]
[Identity]
[SiLU]
[Conv2d(6, 3, Stride = 2, Padding = 1)]
[Identity]
[GELU]
[Conv2d(6, 3, Groups = 2, Padding = 1)]
[Identity]
[PReLU(NumParameters = 6)]
[Conv2d(8, 3, Stride = 2, Padding = 1)]
[Identity]
[Maxout(2)]
[Conv2d(4, 1, Groups = 2)]
[Identity]
[RReLU]
[Conv2d(5, 3, Dilation = 2, Padding = 2, Stride = 2)]
[Identity]
[BipolarReLU]
public partial class StridedChainUnfused
{
}
