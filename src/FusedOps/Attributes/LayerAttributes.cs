using System;
using FusedOps.Catalog;

namespace FusedOps;

/// <summary><c>nn.Linear(in, outFeatures)</c>: weight <c>[out,in]</c>, bias <c>[out]</c>. Needs rank-1 input.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LinearAttribute : LayerAttribute
{
    /// <summary>A fully connected layer with <paramref name="outFeatures"/> outputs.</summary>
    public LinearAttribute(int outFeatures) => OutFeatures = outFeatures;

    /// <summary>Number of output features.</summary>
    public int OutFeatures { get; }

    /// <summary>Whether the layer has a bias. Default true; ignored with <see cref="CosineNorm"/>, which has none.</summary>
    public bool Bias { get; set; } = true;

    /// <summary>
    /// <c>torch.nn.utils.weight_norm(dim=0)</c>: w = g·v/‖v‖ per output feature, trained through
    /// g and v. State <c>{i}.weight_g</c> <c>[out, 1]</c> and <c>{i}.weight_v</c> <c>[out, in]</c>
    /// instead of <c>{i}.weight</c>. Default false.
    /// </summary>
    public bool WeightNorm { get; set; }

    /// <summary>
    /// <c>torch.nn.utils.spectral_norm</c>: w = w_orig/σ with σ from one power iteration per
    /// training forward (u, v updated; inference uses the stored ones), eps 1e-12. State
    /// <c>{i}.weight_orig</c>, buffers <c>{i}.weight_u</c> <c>[out]</c>, <c>{i}.weight_v</c> <c>[in]</c>. Default false.
    /// </summary>
    public bool SpectralNorm { get; set; }

    /// <summary>
    /// Cosine normalisation (Luo et al. 2017): y_j = w_j·x/(‖w_j‖·‖x‖), no bias. State
    /// <c>{i}.weight</c>. Default false. At most one of <see cref="WeightNorm"/>,
    /// <see cref="SpectralNorm"/> and <see cref="CosineNorm"/>.
    /// </summary>
    public bool CosineNorm { get; set; }
}

/// <summary><c>nn.Conv2d</c> with a square kernel and zero padding: weight <c>[out,in/groups,k,k]</c>, bias <c>[out]</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class Conv2dAttribute : LayerAttribute
{
    /// <summary>A 2-D convolution with <paramref name="outChannels"/> outputs and a square kernel.</summary>
    public Conv2dAttribute(int outChannels, int kernelSize)
    {
        OutChannels = outChannels;
        KernelSize = kernelSize;
    }

    /// <summary>Number of output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Side of the square kernel.</summary>
    public int KernelSize { get; }

    /// <summary>Stride in both directions. Default 1.</summary>
    public int Stride { get; set; } = 1;

    /// <summary>Zero padding on every side. Default 0.</summary>
    public int Padding { get; set; }

    /// <summary>Dilation of the kernel. Default 1.</summary>
    public int Dilation { get; set; } = 1;

    /// <summary>Number of groups; must divide both channel counts. Default 1.</summary>
    public int Groups { get; set; } = 1;

    /// <summary>Whether the layer has a bias. Default true.</summary>
    public bool Bias { get; set; } = true;

    /// <summary>
    /// <c>torch.nn.utils.weight_norm(dim=0)</c>: w = g·v/‖v‖ per output channel. State
    /// <c>{i}.weight_g</c> <c>[out, 1, 1, 1]</c> and <c>{i}.weight_v</c> <c>[out, in/groups, k, k]</c>
    /// instead of <c>{i}.weight</c>. Default false.
    /// </summary>
    public bool WeightNorm { get; set; }

    /// <summary>
    /// <c>torch.nn.utils.spectral_norm</c> of the weight as an <c>[out, in/groups·k·k]</c> matrix:
    /// w = w_orig/σ with σ from one power iteration per training forward (u, v updated; inference
    /// uses the stored ones), eps 1e-12. State <c>{i}.weight_orig</c>, buffers <c>{i}.weight_u</c>
    /// <c>[out]</c>, <c>{i}.weight_v</c> <c>[in/groups·k·k]</c>. Default false; not with <see cref="WeightNorm"/>.
    /// </summary>
    public bool SpectralNorm { get; set; }
}

/// <summary><c>nn.BatchNorm1d</c> on rank-1 input, <c>nn.BatchNorm2d</c> on rank-3 input.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class BatchNormAttribute : LayerAttribute
{
    /// <summary>Added to the variance. Default 1e-5.</summary>
    public float Epsilon { get; set; } = LayerFacts.Epsilon;

    /// <summary>Weight of the new batch statistic in the running update. Default 0.1.</summary>
    public float Momentum { get; set; } = LayerFacts.Momentum;

    /// <summary>Whether γ and β are learned. Default true.</summary>
    public bool Affine { get; set; } = true;
}

/// <summary><c>nn.LayerNorm(per-sample shape)</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LayerNormAttribute : LayerAttribute
{
    /// <summary>Added to the variance. Default 1e-5.</summary>
    public float Epsilon { get; set; } = LayerFacts.Epsilon;

    /// <summary>Whether the elementwise weight and bias are learned. Default true.</summary>
    public bool Affine { get; set; } = true;
}

/// <summary><c>nn.GroupNorm(groups, C)</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class GroupNormAttribute : LayerAttribute
{
    /// <summary>Group normalisation over <paramref name="groups"/> channel groups.</summary>
    public GroupNormAttribute(int groups) => Groups = groups;

    /// <summary>Number of channel groups.</summary>
    public int Groups { get; }

    /// <summary>Added to the variance. Default 1e-5.</summary>
    public float Epsilon { get; set; } = LayerFacts.Epsilon;

    /// <summary>Whether γ and β are learned. Default true.</summary>
    public bool Affine { get; set; } = true;
}

/// <summary><c>nn.InstanceNorm2d</c>; no running statistics.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class InstanceNormAttribute : LayerAttribute
{
    /// <summary>Added to the variance. Default 1e-5.</summary>
    public float Epsilon { get; set; } = LayerFacts.Epsilon;

    /// <summary>Whether γ and β are learned. Default false.</summary>
    public bool Affine { get; set; }
}

/// <summary><c>nn.LocalResponseNorm(size)</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LocalResponseNormAttribute : LayerAttribute
{
    /// <summary>Normalisation across <paramref name="size"/> neighbouring channels.</summary>
    public LocalResponseNormAttribute(int size) => Size = size;

    /// <summary>Number of neighbouring channels.</summary>
    public int Size { get; }

    /// <summary>Default 1e-4.</summary>
    public float Alpha { get; set; } = LayerFacts.LrnAlpha;

    /// <summary>Default 0.75.</summary>
    public float Beta { get; set; } = LayerFacts.LrnBeta;

    /// <summary>Default 1.</summary>
    public float K { get; set; } = LayerFacts.LrnK;
}

/// <summary><c>nn.Flatten</c>: reshapes <c>[C,H,W]</c> to <c>[C·H·W]</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class FlattenAttribute : LayerAttribute
{
}

/// <summary><c>nn.MaxPool2d(kernelSize)</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class MaxPool2dAttribute : LayerAttribute
{
    /// <summary>Max pooling over square windows.</summary>
    public MaxPool2dAttribute(int kernelSize)
    {
        KernelSize = kernelSize;
        Stride = kernelSize;
    }

    /// <summary>Window side.</summary>
    public int KernelSize { get; }

    /// <summary>Default: the kernel size.</summary>
    public int Stride { get; set; }

    /// <summary>Default 0 (padding with −∞).</summary>
    public int Padding { get; set; }
}

/// <summary><c>nn.AvgPool2d(kernelSize)</c>; padding counts in the divisor.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class AvgPool2dAttribute : LayerAttribute
{
    /// <summary>Average pooling over square windows.</summary>
    public AvgPool2dAttribute(int kernelSize)
    {
        KernelSize = kernelSize;
        Stride = kernelSize;
    }

    /// <summary>Window side.</summary>
    public int KernelSize { get; }

    /// <summary>Default: the kernel size.</summary>
    public int Stride { get; set; }

    /// <summary>Default 0 (zero padding, counted in the divisor).</summary>
    public int Padding { get; set; }
}

/// <summary><c>nn.AdaptiveAvgPool2d(1)</c>: output <c>[C,1,1]</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class GlobalAvgPool2dAttribute : LayerAttribute
{
}

/// <summary><c>nn.Dropout(p)</c>: inverted scaling in training, identity in inference.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DropoutAttribute : LayerAttribute
{
    /// <summary>Probability of zeroing an element. Default 0.5.</summary>
    public float P { get; set; } = LayerFacts.DropoutP;
}

/// <summary>
/// Maxout (Goodfellow et al. 2013): output channel (feature) j is the maximum of input channels
/// j·pieces … j·pieces + pieces − 1, so the channel count shrinks by <see cref="Pieces"/>. The
/// gradient goes to the first maximum, as <c>torch.max</c>'s.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class MaxoutAttribute : LayerAttribute
{
    /// <summary>Maxout over runs of <paramref name="pieces"/> consecutive channels; must divide the channel count.</summary>
    public MaxoutAttribute(int pieces) => Pieces = pieces;

    /// <summary>Channels (features) per output channel.</summary>
    public int Pieces { get; }
}

/// <summary>
/// Switchable normalisation (Luo et al. 2018) on <c>[C, H, W]</c>: mean and variance are mixtures,
/// by softmax(mean_weight) and softmax(var_weight), of instance (per sample and channel), layer
/// (per sample) and batch (per channel; running statistics in inference) statistics, all biased;
/// y = γ(x − μ)/√(σ² + ε) + β. Running statistics are updated as BatchNorm's. State weight, bias
/// <c>[C]</c>; mean_weight, var_weight <c>[3]</c> (IN, LN, BN; initially 1); running_mean, running_var <c>[C]</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SwitchableNormAttribute : LayerAttribute
{
    /// <summary>Added to the variance. Default 1e-5.</summary>
    public float Epsilon { get; set; } = LayerFacts.Epsilon;

    /// <summary>Weight of the new batch statistic in the running update. Default 0.1.</summary>
    public float Momentum { get; set; } = LayerFacts.Momentum;
}
