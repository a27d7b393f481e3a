using FusedOps;

namespace FusedOps.Tests.Pipelines;

// Conv2d groups with a non-overlapping 2×2 pool after them, which inference runs in the convolution's epilogue.
// Odd output sizes (the floor drops the last row and column), partial and whole 16-pixel segments, several blocks.

/// <summary>Conv→BN→ReLU→MaxPool2d(2) on an odd 11×13 image (pooled 5×6: one partial segment per pooled row).</summary>
[FusedPipeline(3, 11, 13)]
[Conv2d(6, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[MaxPool2d(2)]
[Flatten]
[Linear(5)]
public partial class ConvMaxPoolOdd
{
}

/// <summary>Rows of 37 pixels (pooled 18: two whole segments read in place and a partial one), 20 channels (several blocks), AvgPool2d.</summary>
[FusedPipeline(4, 9, 37)]
[Conv2d(20, 3, Padding = 1)]
[BatchNorm]
[SiLU]
[AvgPool2d(2)]
public partial class WideConvAvgPool
{
}

/// <summary>The Fashion-MNIST residual block: Save, Conv→BN→ReLU, Conv→BN→Add→ReLU→MaxPool2d(2), at 15×33 (odd both ways).</summary>
[FusedPipeline(2, 15, 33)]
[Conv2d(8, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[Save("a")]
[Conv2d(8, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[Conv2d(8, 3, Padding = 1)]
[BatchNorm]
[Add("a")]
[ReLU]
[MaxPool2d(2)]
[Conv2d(5, 3, Padding = 1)]
[MaxPool2d(2)]
public partial class ResidualMaxPool
{
}

/// <summary>A strided, grouped convolution (always gathered) with bias and no norm, then MaxPool2d(2); and a Save that prevents the fusion.</summary>
[FusedPipeline(4, 13, 12)]
[Conv2d(6, 3, Stride = 2, Padding = 1, Groups = 2)]
[Tanh]
[MaxPool2d(2)]
[Save("p")]
[Conv2d(6, 1)]
[Save("q")]
[MaxPool2d(2)]
public partial class StridedGroupedPool
{
}

/// <summary>Large enough (2.4 MFLOP per sample) for two threads even at batch 1: Conv→BN→ReLU→MaxPool2d(2) at 25×41.</summary>
[FusedPipeline(8, 25, 41)]
[Conv2d(16, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[MaxPool2d(2)]
public partial class ParallelConvPool
{
}

/// <summary>
/// A residual pair big enough for two threads at batch 1 (4.1 MFLOP per conv), without a pool, then a strided conv. No bias
/// before the BatchNorms: its gradient is zero up to rounding, which a relative check at batch 8 cannot judge.
/// </summary>
[FusedPipeline(16, 30, 29)]
[Save("a")]
[Conv2d(16, 3, Padding = 1, Bias = false)]
[BatchNorm]
[ReLU]
[Conv2d(16, 3, Padding = 1, Bias = false)]
[BatchNorm]
[Add("a")]
[ReLU]
[Conv2d(24, 3, Stride = 2)]
[HardTanh]
public partial class ParallelResidual
{
}
