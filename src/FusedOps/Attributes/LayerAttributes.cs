using System;

namespace FusedOps;

/// <summary><c>nn.Linear(in, outFeatures)</c>: weight <c>[out,in]</c>, bias <c>[out]</c>. Needs rank-1 input.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LinearAttribute : LayerAttribute
{
    /// <summary>A fully connected layer with <paramref name="outFeatures"/> outputs.</summary>
    public LinearAttribute(int outFeatures) => OutFeatures = outFeatures;

    /// <summary>Number of output features.</summary>
    public int OutFeatures { get; }

    /// <summary>Whether the layer has a bias. Default true.</summary>
    public bool Bias { get; set; } = true;
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
}

/// <summary><c>nn.BatchNorm1d</c> on rank-1 input, <c>nn.BatchNorm2d</c> on rank-3 input.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class BatchNormAttribute : LayerAttribute
{
    /// <summary>Added to the variance. Default 1e-5.</summary>
    public float Epsilon { get; set; } = 1e-5f;

    /// <summary>Weight of the new batch statistic in the running update. Default 0.1.</summary>
    public float Momentum { get; set; } = 0.1f;

    /// <summary>Whether γ and β are learned. Default true.</summary>
    public bool Affine { get; set; } = true;
}

/// <summary><c>nn.LayerNorm(per-sample shape)</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LayerNormAttribute : LayerAttribute
{
    /// <summary>Added to the variance. Default 1e-5.</summary>
    public float Epsilon { get; set; } = 1e-5f;

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
    public float Epsilon { get; set; } = 1e-5f;

    /// <summary>Whether γ and β are learned. Default true.</summary>
    public bool Affine { get; set; } = true;
}

/// <summary><c>nn.InstanceNorm2d</c>; no running statistics.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class InstanceNormAttribute : LayerAttribute
{
    /// <summary>Added to the variance. Default 1e-5.</summary>
    public float Epsilon { get; set; } = 1e-5f;

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
    public float Alpha { get; set; } = 1e-4f;

    /// <summary>Default 0.75.</summary>
    public float Beta { get; set; } = 0.75f;

    /// <summary>Default 1.</summary>
    public float K { get; set; } = 1f;
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
    public float P { get; set; } = 0.5f;
}
