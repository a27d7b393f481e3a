using FusedOps;

namespace FusedOps.Tests.Pipelines;

// Pooling, Dropout and the per-sample norms, generated and compared with the reference interpreter.
// Sizes are odd so that windows, vector widths and chunks all leave remainders.

/// <summary>Non-overlapping MaxPool2d after Conv→BN→ReLU, then an AvgPool2d whose padding counts in the divisor.</summary>
[FusedPipeline(3, 11, 13)]
[Conv2d(6, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[MaxPool2d(2)]
[Conv2d(5, 3, Padding = 1)]
[Tanh]
[AvgPool2d(3, Stride = 2, Padding = 1)]
[Flatten]
[Linear(7)]
public partial class PoolingCnn
{
}

/// <summary>Overlapping, padded MaxPool2d windows, then the global average.</summary>
[FusedPipeline(4, 9, 10)]
[Conv2d(8, 3)]
[SiLU]
[MaxPool2d(3, Stride = 2, Padding = 1)]
[GlobalAvgPool2d]
[Flatten]
[Linear(5)]
public partial class OverlappingPoolCnn
{
}

/// <summary>Dropout after an activation and between two Linear layers.</summary>
[FusedPipeline(29)]
[Linear(19)]
[ReLU]
[Dropout(P = 0.3f)]
[Linear(11)]
[Dropout]
[Linear(4)]
public partial class DropoutMlp
{
}

/// <summary>Dropout on the input image, then a convolution and a pool.</summary>
[FusedPipeline(2, 5, 7)]
[Dropout(P = 0.25f)]
[Conv2d(3, 3, Padding = 1)]
[AvgPool2d(2)]
public partial class DropoutFirstCnn
{
}

/// <summary>Same declaration as fixtures/linear_layernorm_gelu.</summary>
[FusedPipeline(24)]
[Linear(16)]
[LayerNorm]
[GELU]
public partial class LinearLayerNormGelu
{
}

/// <summary>GroupNorm with an activation after a convolution, then an affine InstanceNorm without one.</summary>
[FusedPipeline(3, 7, 9)]
[Conv2d(6, 3, Padding = 1)]
[GroupNorm(3)]
[ReLU]
[Conv2d(4, 3)]
[InstanceNorm(Affine = true)]
[Flatten]
[Linear(5)]
public partial class GroupInstanceNormCnn
{
}

/// <summary>LayerNorm over a whole image (γ, β per element), InstanceNorm with Mish, GroupNorm without affine.</summary>
[FusedPipeline(2, 5, 6)]
[LayerNorm]
[Conv2d(4, 3, Padding = 1)]
[InstanceNorm]
[Mish]
[GroupNorm(2, Affine = false)]
public partial class ImageNorms
{
}

/// <summary>Norms on vectors: LayerNorm without affine, GroupNorm of features.</summary>
[FusedPipeline(37)]
[Linear(21)]
[LayerNorm(Affine = false, Epsilon = 1e-3f)]
[Tanh]
[Linear(9)]
[GroupNorm(3)]
[SiLU]
public partial class VectorNorms
{
}

/// <summary>The seeds' channel activations: BipolarReLU on channels and features, PReLU per channel and shared, RReLU.</summary>
[FusedPipeline(3, 6, 7)]
[Conv2d(5, 3, Padding = 1)]
[BipolarReLU]
[PReLU(NumParameters = 5, Init = 0.1f)]
[Flatten]
[Linear(9)]
[PReLU]
[RReLU]
[Linear(5)]
[BipolarReLU]
public partial class ChannelActivationNet
{
}

/// <summary>Maxout over channels (then an activation of its own) and over features.</summary>
[FusedPipeline(3, 5, 6)]
[Conv2d(6, 3, Padding = 1)]
[Maxout(3)]
[ReLU]
[Flatten]
[Linear(12)]
[Maxout(4)]
public partial class MaxoutNet
{
}

/// <summary>LocalResponseNorm with an even and an odd window, strong enough to matter (α = 0.5).</summary>
[FusedPipeline(7, 4, 5)]
[LocalResponseNorm(4, Alpha = 0.5f, Beta = 0.6f, K = 1.5f)]
[Conv2d(6, 3, Padding = 1)]
[LocalResponseNorm(3, Alpha = 0.3f)]
public partial class LrnNet
{
}
