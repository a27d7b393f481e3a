using FusedOps;

namespace FusedOps.Tests.Pipelines;

/// <summary>
/// Inference with the output channels in the lanes (<c>LanesConv</c>, the planner's route at 512 bits for stride-1
/// convolutions with 64·k output channels, rows of 16 or more and 288 or more taps): 32 → 64 on 18 × 18, padding 1
/// (rows of 18: strips of 6, a 16 × 16 transpose tile and an overlapping one; 288 taps in blocks of 8 channels); 12 MFLOP,
/// so one sample splits over threads.
/// </summary>
[FusedPipeline(32, 18, 18)]
[Conv2d(64, 3, Padding = 1)]
[BatchNorm]
[ReLU]
public partial class LanesPad1
{
}

// FOPS0015 says this layer's generated (training) kernels loop over their register blocks: it has 128 outputs, two groups of
// 64 lanes.
#pragma warning disable FOPS0015

/// <summary>
/// Two groups of 64 lanes (40 → 128, 3 × 3, dilation 2, no padding: 15 × 16 outputs, under the im2col route's 256 pixels),
/// strips of 6, 5 and 5, then a 5 × 5 one with padding 2 and no BatchNorm (128 → 64 on 15 × 16, rows of 16: 3200 taps in
/// blocks of 2 channels).
/// </summary>
[FusedPipeline(40, 19, 20)]
[Conv2d(128, 3, Dilation = 2)]
[BatchNorm]
[SiLU]
[Conv2d(64, 5, Padding = 2)]
[LeakyReLU]
public partial class LanesDilatedK5
{
}

#pragma warning restore FOPS0015

/// <summary>Rows of 23 pixels (strips 6, 6, 6, 5; the last tile overlapping by 9), no bias, no activation after BatchNorm.</summary>
[FusedPipeline(36, 9, 23)]
[Conv2d(64, 3, Padding = 1, Bias = false)]
[BatchNorm]
public partial class LanesOddRows
{
}
