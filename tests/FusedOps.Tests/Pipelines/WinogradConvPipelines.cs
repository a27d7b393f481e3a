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
