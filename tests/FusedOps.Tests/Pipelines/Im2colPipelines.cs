using FusedOps;

namespace FusedOps.Tests.Pipelines;

// FOPS0015 says these layers' generated (training) kernels loop over their register blocks: they have 97 to 101 outputs, as
// the planner's im2col route wants (96 or more).
#pragma warning disable FOPS0015

/// <summary>
/// Inference through im2col × PackedGemm (the planner's route for stride-1 convolutions with many taps on a large plane):
/// 45 → 101 channels (no multiple of 16; 101 rows are eight tiles of 12 and a 6-row edge of 5) on 17 × 23 (391 pixels:
/// a last block of 7), padding 1; 32 MFLOP, so one sample splits over threads.
/// </summary>
[FusedPipeline(45, 17, 23)]
[Conv2d(101, 3, Padding = 1)]
[BatchNorm]
[ReLU]
public partial class Im2colPad1
{
}

/// <summary>Two im2col convolutions: 50 → 97, 3 × 3 without padding, then 97 → 98 with padding 2 and no BatchNorm.</summary>
[FusedPipeline(50, 20, 18)]
[Conv2d(97, 3)]
[BatchNorm]
[GELU]
[Conv2d(98, 3, Padding = 2)]
[Tanh]
public partial class Im2colPad0Pad2
{
}

/// <summary>A dilated im2col convolution (48 → 99, 3 × 3, dilation 2, padding 2) with SiLU.</summary>
[FusedPipeline(48, 16, 21)]
[Conv2d(99, 3, Padding = 2, Dilation = 2)]
[BatchNorm]
[SiLU]
public partial class Im2colDilated
{
}

/// <summary>Rows of 7 pixels, narrower than a panel: three or more runs of pixels per panel of 16 (64 → 100, padding 1).</summary>
[FusedPipeline(64, 40, 7)]
[Conv2d(100, 3, Padding = 1, Bias = false)]
[BatchNorm]
[LeakyReLU]
public partial class Im2colNarrow
{
}

#pragma warning restore FOPS0015
