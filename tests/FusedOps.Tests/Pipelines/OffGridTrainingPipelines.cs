using FusedOps;

namespace FusedOps.Tests.Pipelines;

/// <summary>
/// Off-grid Conv2d groups (strided, grouped, grouped and dilated) whose per-sample training loops are cut into parts at batch 29
/// (each pass at least 2 MFLOP): strided with BatchNorm and ReLU, grouped with PReLU (a slope gradient per part), grouped and
/// dilated with a residual Add and GELU, and grouped without a bias into a Maxout whose runs cross its groups.
/// </summary>
[FusedPipeline(8, 17, 19)]
[Conv2d(16, 3, Stride = 2, Padding = 1)]
[BatchNorm]
[ReLU]
[Conv2d(12, 3, Padding = 1, Groups = 4)]
[PReLU(NumParameters = 12)]
[Save("a")]
[Conv2d(12, 3, Dilation = 2, Padding = 2, Groups = 3)]
[Add("a")]
[GELU]
[Conv2d(12, 3, Padding = 1, Groups = 3, Bias = false)]
[Maxout(3)]
[Flatten]
[Linear(5)]
public partial class OffGridTraining
{
}
