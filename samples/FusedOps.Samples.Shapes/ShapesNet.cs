using FusedOps;

namespace FusedOps.Samples.Shapes;

/// <summary>
/// A two-block CNN for 16×16 grey images of 4 shapes. The FusedOps generator reads these
/// attributes at compile time and writes the rest of the class: Forward/Backward for training,
/// Infer, and Freeze() for an immutable inference model with BatchNorm folded into the convolutions.
/// </summary>
[FusedPipeline(1, 16, 16)]              // input: 1 channel, 16×16
[Conv2d(8, 3, Padding = 1)]             // -> 8×16×16
[BatchNorm]
[ReLU]
[Conv2d(16, 3, Stride = 2, Padding = 1)] // -> 16×8×8
[BatchNorm]
[ReLU]
[Flatten]                               // -> 1024
[Linear(4)]                             // -> 4 class scores (logits)
public partial class ShapesNet
{
}
