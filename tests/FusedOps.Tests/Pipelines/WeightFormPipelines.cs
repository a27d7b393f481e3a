using FusedOps;

namespace FusedOps.Tests.Pipelines;

// The weight options of Linear and Conv2d (WeightNorm, SpectralNorm, CosineNorm) and SwitchableNorm,
// generated and compared with the reference interpreter. Sizes are odd so vector widths leave remainders.

// BatchNorm1d: FOPS0013 warns that training needs a batch of at least 2; these tests train with larger batches.
#pragma warning disable FOPS0013

/// <summary>The fixture linear_weightnorm's declaration: a weight-normalised Linear, BatchNorm folded on top, ReLU.</summary>
[FusedPipeline(24)]
[Linear(16, WeightNorm = true)]
[BatchNorm]
[ReLU]
public partial class LinearWeightNorm
{
}

/// <summary>Weight-normalised Conv2d (with and without bias) in a CNN with BatchNorm and an activation in the epilogue.</summary>
[FusedPipeline(3, 9, 11)]
[Conv2d(7, 3, Padding = 1, WeightNorm = true)]
[BatchNorm]
[ReLU]
[Conv2d(7, 3, Stride = 2, Groups = 7, Bias = false, WeightNorm = true)]
[Tanh]
[Flatten]
[Linear(3, WeightNorm = true, Bias = false)]
public partial class WeightNormCnn
{
}

/// <summary>Spectrally normalised Conv2d and Linear layers: one power iteration per training forward, stored u/v in eval.</summary>
[FusedPipeline(2, 7, 9)]
[Conv2d(6, 3, SpectralNorm = true)]
[BatchNorm]
[LeakyReLU]
[Conv2d(6, 3, Groups = 3, Padding = 1, Bias = false, SpectralNorm = true)]
[Flatten]
[Linear(9, SpectralNorm = true)]
[GELU]
[Linear(4, SpectralNorm = true, Bias = false)]
public partial class SpectralNormNet
{
}

/// <summary>A cosine-normalised Linear between two plain ones, with BatchNorm and activations after it.</summary>
[FusedPipeline(21)]
[Linear(13)]
[Tanh]
[Linear(11, CosineNorm = true)]
[BatchNorm]
[ReLU]
[Linear(5, CosineNorm = true)]
public partial class CosineMlp
{
}

/// <summary>SwitchableNorm after a Conv2d taking the ReLU after it, and a second one without activation.</summary>
[FusedPipeline(3, 7, 9)]
[Conv2d(6, 3, Padding = 1)]
[SwitchableNorm]
[ReLU]
[Conv2d(5, 3, Stride = 2)]
[SwitchableNorm(Epsilon = 1e-3f, Momentum = 0.2f)]
[Flatten]
[Linear(4)]
public partial class SwitchableNormCnn
{
}

/// <summary>SwitchableNorm first, on the input itself, and a SiLU after it.</summary>
[FusedPipeline(5, 3, 13)]
[SwitchableNorm]
[SiLU]
[Conv2d(3, 1)]
public partial class SwitchableNormFirst
{
}

/// <summary>SwitchableNorm on one value per channel: its batch statistics need a batch of at least 2 in training.</summary>
[FusedPipeline(4, 1, 1)]
[SwitchableNorm]
public partial class SwitchableNormPerChannelValue
{
}
