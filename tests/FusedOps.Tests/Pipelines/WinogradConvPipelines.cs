using FusedOps;

namespace FusedOps.Tests.Pipelines;

/// <summary>
/// Inference on the Winograd route (<c>WinogradConv</c>, the planner's route at 512 bits for stride-1, dilation-1, ungrouped
/// 3 × 3 convolutions with 64 or more input channels, 64·k output channels and rows of 32 or more): 64 → 64 on 9 × 34,
/// padding 1 (an odd height: the last tile row has one output row; 17 tiles per row: the last 16-tile block overlaps);
/// 21 MFLOP, so one sample splits over threads by tile rows.
/// </summary>
[FusedPipeline(64, 9, 34)]
[Conv2d(64, 3, Padding = 1)]
[BatchNorm]
[ReLU]
public partial class WinogradPad1
{
}

/// <summary>No padding, no bias, no BatchNorm (80 → 64 on 12 × 35: 10 × 33 outputs, an odd width) and a SiLU.</summary>
[FusedPipeline(80, 12, 35)]
[Conv2d(64, 3, Bias = false)]
[SiLU]
public partial class WinogradNoPad
{
}

/// <summary>
/// Case B's shape of layer (16 → 32: the tiles-in-lanes block) on 11 × 37, padding 1: an odd height, and 19 tiles per row, so
/// the second 16-tile vector is partial and the rows end in masked stores.
/// </summary>
[FusedPipeline(16, 11, 37)]
[Conv2d(32, 3, Padding = 1)]
[BatchNorm]
[ReLU]
public partial class WinogradNarrowInference
{
}

/// <summary>
/// The 256-bit-only route (<c>WinogradConv.RunUnpadded256</c>) as in samples/FusedOps.Samples.FashionMnist: 16 → 16 on 10 × 28
/// (14 tiles a row), then a residual pair's second convolution with the Add and a MaxPool2d(2) in its epilogue, then 16 → 32 on
/// 5 × 14 (an odd height: the direct kernel with its fused pool).
/// </summary>
[FusedPipeline(16, 10, 28)]
[Conv2d(16, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[Save("a")]
[Conv2d(16, 3, Padding = 1)]
[BatchNorm]
[Add("a")]
[ReLU]
[MaxPool2d(2)]
[Conv2d(32, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[MaxPool2d(2)]
public partial class WinogradResidualPool256
{
}

/// <summary>The 256-bit-only route on 14 × 14 (7 tiles a row: one vector of 8) with its MaxPool2d(2), 16 → 32.</summary>
[FusedPipeline(16, 14, 14)]
[Conv2d(32, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[MaxPool2d(2)]
public partial class WinogradPool256Small
{
}

/// <summary>
/// Case C's kind of layer (64 → 64, rows of 56 and more) on 7 × 58, padding 1: on F(4 × 4, 3 × 3) at 256 bits (ConvPlan.Winograd43Wide,
/// <c>WinogradConv.RunUnpadded43x256</c>), F(2 × 2, 3 × 3) at 512; the last tile row has 3 output rows, the last tile 2 columns
/// (15 tiles: the second vector of 8 partial).
/// </summary>
[FusedPipeline(64, 7, 58)]
[Conv2d(64, 3, Padding = 1)]
[BatchNorm]
[ReLU]
public partial class Winograd43Wide
{
}

/// <summary>
/// Case B's layer (16 → 32, 3 × 3, padding 1) on 10 × 32: on F(4 × 4, 3 × 3) at 256 bits (ConvPlan.Winograd43Wide), F(2 × 2, 3 × 3)
/// at 512; rows of 8 tiles, so its three tile rows run as a pair and a lone row, the last of 2 output rows.
/// </summary>
[FusedPipeline(16, 10, 32)]
[Conv2d(32, 3, Padding = 1)]
[BatchNorm]
[ReLU]
public partial class Winograd43Paired
{
}
