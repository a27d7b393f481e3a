using FusedOps;

namespace FusedOps.Tests.Pipelines;

/// <summary>
/// Inference on grid panels (stride 1, padded, rows of 19 pixels that are not whole panels): a residual convolution and
/// a 24→40 one whose weights exceed one tap block (taps in blocks of 162 and 54, then 99, 99 and 18, with the partial sums
/// kept in the output between blocks), then a grouped, dilated one. 4.3 MFLOP for the second: two threads at batch 1.
/// </summary>
[FusedPipeline(24, 13, 19)]
[Save("a")]
[Conv2d(24, 3, Padding = 1, Bias = false)]
[BatchNorm]
[Add("a")]
[ReLU]
[Conv2d(40, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[Conv2d(12, 3, Padding = 2, Dilation = 2, Groups = 4)]
[BatchNorm]
[SiLU]
public partial class GridConvs
{
}
