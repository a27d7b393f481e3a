using FusedOps;

namespace FusedOps.Tests.Pipelines;

// Every pipeline here is compared with the reference interpreter; sizes avoid multiples of 8 on purpose.

/// <summary>Same declaration as fixtures/conv_bn_relu.</summary>
[FusedPipeline(3, 10, 12)]
[Conv2d(8, 3, Padding = 1)]
[BatchNorm]
[ReLU]
public partial class ConvBnRelu
{
}

// BatchNorm1d (one value per channel per sample): FOPS0013 warns that training needs a batch of at least 2; these tests do.
#pragma warning disable FOPS0013

/// <summary>Same declaration as fixtures/linear_bn_relu.</summary>
[FusedPipeline(20)]
[Linear(13)]
[BatchNorm]
[ReLU]
public partial class LinearBnRelu
{
}

/// <summary>Same declaration as fixtures/cnn_head.</summary>
[FusedPipeline(2, 8, 8)]
[Conv2d(4, 3, Stride = 2, Padding = 1, Bias = false)]
[BatchNorm]
[ReLU]
[Flatten]
[Linear(5)]
public partial class CnnHead
{
}

[FusedPipeline(5, 11, 13)]
[Conv2d(7, 3, Stride = 2, Padding = 1)]
[BatchNorm]
[ReLU]
public partial class StridedConv
{
}

[FusedPipeline(3, 15, 9)]
[Conv2d(6, 3, Dilation = 2, Padding = 2)]
[ReLU]
public partial class DilatedConv
{
}

[FusedPipeline(6, 9, 11)]
[Conv2d(6, 3, Padding = 1, Groups = 6)]
[BatchNorm]
[ReLU]
public partial class DepthwiseConv
{
}

[FusedPipeline(6, 7, 10)]
[Conv2d(9, 3, Groups = 3, Bias = false)]
[BatchNorm]
public partial class GroupedConv
{
}

[FusedPipeline(13, 6, 7)]
[Conv2d(11, 1)]
[BatchNorm(Momentum = 0.25f, Epsilon = 1e-3f)]
[LeakyReLU(NegativeSlope = 0.125f)]
public partial class PointwiseConv
{
}

[FusedPipeline(5, 6, 7)]
[BatchNorm]
[ReLU]
[Conv2d(3, 3)]
public partial class BatchNormFirst
{
}

[FusedPipeline(3, 17, 15)]
[Conv2d(5, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[Conv2d(7, 3, Stride = 2)]
[BatchNorm]
[ReLU]
[Flatten]
[Linear(10)]
public partial class TwoBlockCnn
{
}

[FusedPipeline(37)]
[Linear(19)]
[ReLU]
[Linear(3)]
public partial class Mlp
{
}

[FusedPipeline(16, 19, 23)]
[Conv2d(32, 3, Padding = 1)]
[BatchNorm]
[ReLU]
public partial class WideConv
{
}

[FusedPipeline(29)]
[BatchNorm(Affine = false)]
[Linear(17, Bias = false)]
[BatchNorm]
[HardTanh(Min = -0.5f, Max = 0.75f)]
public partial class NormalisedMlp
{
}

[FusedPipeline(4, 20, 21)]
[Conv2d(10, 5, Stride = 3, Padding = 2)]
[BatchNorm]
[ReLU]
public partial class LargeKernelConv
{
}

/// <summary>Rows of 70 outputs: some panels are 32 consecutive input positions (read in place), others span rows (packed).</summary>
[FusedPipeline(3, 5, 70)]
[Conv2d(5, 3, Padding = 1)]
[BatchNorm]
[ReLU]
public partial class WideRowConv
{
}

/// <summary>Nothing to compute: an identity copy.</summary>
[FusedPipeline(2, 3, 5)]
[Flatten]
public partial class FlattenOnly
{
}

/// <summary>Activation directly on the input, then a Linear without bias.</summary>
[FusedPipeline(19)]
[LeakyReLU]
[Linear(6, Bias = false)]
[ReLU]
public partial class ActivationFirst
{
}

#pragma warning disable FOPS0015 // Wide on purpose: 77 channels loop over register blocks instead of unrolling the calls.
[FusedPipeline(3, 5, 6)]
[Conv2d(77, 1)]
[ReLU]
public partial class VeryWideConv
{
}
#pragma warning restore FOPS0015
