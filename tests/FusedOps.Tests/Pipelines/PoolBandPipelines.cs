using FusedOps;

namespace FusedOps.Tests.Pipelines;

// Conv2d groups with a non-overlapping pool other than the 2×2 one after them, which inference runs over bands of output
// rows in the convolution's pass: windows of 3 and 4, stride above the window, padding, odd sizes (PyTorch's floor drops
// the rows and columns no window covers), bands read in place, gathered, and both in one layer.

/// <summary>Conv→BN→ReLU→MaxPool2d(3) on 11×13 (pooled 3×4: rows 9–10 and column 12 dropped); 6 channels, bands in place.</summary>
[FusedPipeline(3, 11, 13)]
[Conv2d(6, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[MaxPool2d(3)]
[Flatten]
[Linear(5)]
public partial class ConvMaxPool3Odd
{
}

/// <summary>AvgPool2d(3, Padding = 1) after Conv→SiLU at 10×14 (pooled 4×5): the edge windows count the padding's zeros.</summary>
[FusedPipeline(2, 10, 14)]
[Conv2d(7, 3, Padding = 1)]
[SiLU]
[AvgPool2d(3, Padding = 1)]
public partial class ConvAvgPool3Padded
{
}

/// <summary>
/// An unpadded stride-1 conv (16×19 out, 10 channels) and MaxPool2d(4) (pooled 4×4, column 16–18 dropped): the first three
/// bands are read in the caller's input in place, the last would read past the sample and is gathered.
/// </summary>
[FusedPipeline(4, 18, 21)]
[Conv2d(10, 3)]
[BatchNorm]
[LeakyReLU]
[MaxPool2d(4)]
public partial class UnpaddedConvMaxPool4
{
}

/// <summary>A strided, grouped conv (gathered, 9×8 out) without norm or activation, then AvgPool2d(2, Stride = 3): gaps between windows.</summary>
[FusedPipeline(4, 17, 15)]
[Conv2d(6, 3, Stride = 2, Padding = 1, Groups = 2)]
[AvgPool2d(2, Stride = 3)]
[Flatten]
[Linear(3)]
public partial class StridedConvSparsePool
{
}

/// <summary>
/// A residual block ending in Add→ReLU→MaxPool2d(3, Padding = 1) at 13×16 (pooled 5×6); then a 2×2 pool with padding. No bias
/// before the BatchNorms: its gradient is zero up to rounding, which a relative check at batch 8 cannot judge.
/// </summary>
[FusedPipeline(3, 13, 16)]
[Conv2d(5, 3, Padding = 1, Bias = false)]
[BatchNorm]
[ReLU]
[Save("a")]
[Conv2d(5, 3, Padding = 1, Bias = false)]
[BatchNorm]
[Add("a")]
[ReLU]
[MaxPool2d(3, Padding = 1)]
[Conv2d(4, 1)]
[Tanh]
[AvgPool2d(2, Padding = 1)]
public partial class ResidualBandPool
{
}

/// <summary>A dilated conv (dilation 2, padding 2) with 14 channels (blocks of every size) and MaxPool2d(4, Stride = 5, Padding = 2).</summary>
[FusedPipeline(3, 21, 23)]
[Conv2d(14, 3, Padding = 2, Dilation = 2)]
[BatchNorm]
[HardSwish]
[MaxPool2d(4, Stride = 5, Padding = 2)]
public partial class DilatedConvPool4
{
}

/// <summary>Rows of 63 (band row by row, two panels per row: fewer positions than the padded-width grid), MaxPool2d(3).</summary>
[FusedPipeline(3, 9, 63)]
[Conv2d(5, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[MaxPool2d(3)]
public partial class WideRowsPool3
{
}

/// <summary>An unpadded conv with rows of 32 (band row by row, one panel per row), AvgPool2d(3): the last band reads to the last input float.</summary>
[FusedPipeline(2, 8, 34)]
[Conv2d(4, 3)]
[ReLU]
[AvgPool2d(3)]
public partial class UnpaddedRowsPool3
{
}

/// <summary>An overlapping MaxPool2d(3, Stride = 2) keeps its own pass (not fused) and is still right.</summary>
[FusedPipeline(3, 12, 11)]
[Conv2d(6, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[MaxPool2d(3, Stride = 2)]
public partial class OverlappingPool
{
}

/// <summary>Large enough for two threads at batch 1 (7.2 MFLOP): Conv 16→32 + BN + ReLU + MaxPool2d(3) at 28×28 (pooled 9×9).</summary>
[FusedPipeline(16, 28, 28)]
[Conv2d(32, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[MaxPool2d(3)]
public partial class ParallelConvPool3
{
}

#pragma warning disable FOPS0015 // Wide on purpose: 77 channels loop over register blocks instead of unrolling the calls.

/// <summary>A 1×1 conv too wide to unroll (77 channels) and AvgPool2d(3) over 7×8 (pooled 2×2).</summary>
[FusedPipeline(3, 7, 8)]
[Conv2d(77, 1)]
[ReLU]
[AvgPool2d(3)]
public partial class VeryWideConvPool3
{
}

#pragma warning restore FOPS0015
