using System;

namespace FusedOps.Reference;

/// <summary>Turns an attribute and its input shape into a reference layer, inferring the output shape as PyTorch does.</summary>
internal static class LayerFactory
{
    /// <summary>The layer for <paramref name="attribute"/> at position <paramref name="index"/>.</summary>
    /// <param name="index">Position in the pipeline.</param>
    /// <param name="attribute">The layer as declared.</param>
    /// <param name="inputShape">Per-sample shape the layer receives.</param>
    /// <param name="branches">The names saved by the layers before this one; a <c>Save</c> adds to it.</param>
    /// <exception cref="ArgumentException">The layer cannot take <paramref name="inputShape"/>, its arguments are invalid, or it names a tensor it cannot use.</exception>
    /// <exception cref="NotSupportedException">The reference has no implementation of this attribute.</exception>
    public static RefLayer Create(int index, LayerAttribute attribute, int[] inputShape, BranchTable branches)
    {
        string d = LayerCatalog.Describe(attribute);

        // Every argument against its range in the catalogue (the generator's FOPS0005 reads the same table);
        // the layers check only what depends on the input shape.
        if (LayerCatalog.RangeProblem(attribute) is { } problem)
        {
            throw ShapeError(index, d, inputShape, problem);
        }

        return attribute switch
        {
            LinearAttribute a => LinearLayer.Create(index, d, a, inputShape),
            Conv2dAttribute a => Conv2dLayer.Create(index, d, a, inputShape),
            BatchNormAttribute a => BatchNormLayer.Create(index, d, a, inputShape),
            LayerNormAttribute a => new LayerNormLayer(index, d, inputShape, a),
            GroupNormAttribute a => GroupNormLayer.Create(index, d, a, inputShape),
            InstanceNormAttribute a => InstanceNormLayer.Create(index, d, a, inputShape),
            LocalResponseNormAttribute a => LocalResponseNormLayer.Create(index, d, a, inputShape),
            FlattenAttribute => new FlattenLayer(index, d, inputShape),
            MaxPool2dAttribute a => MaxPool2dLayer.Create(index, d, a, inputShape),
            AvgPool2dAttribute a => AvgPool2dLayer.Create(index, d, a, inputShape),
            GlobalAvgPool2dAttribute => GlobalAvgPool2dLayer.Create(index, d, inputShape),
            DropoutAttribute a => DropoutLayer.Create(index, d, a, inputShape),
            PReLUAttribute a => PReLULayer.Create(index, d, a, inputShape),
            RReLUAttribute a => new RReLULayer(index, d, inputShape, a),
            SaveAttribute a => SaveLayer.Create(index, d, a, inputShape, branches),
            AddAttribute a => AddLayer.Create(index, d, a, inputShape, branches),
            ConcatAttribute a => ConcatLayer.Create(index, d, a, inputShape, branches),
            MaxoutAttribute a => MaxoutLayer.Create(index, d, a, inputShape),
            SwitchableNormAttribute a => SwitchableNormLayer.Create(index, d, a, inputShape),
            BipolarReLUAttribute => new BipolarReLULayer(index, d, inputShape),
            _ => ActivationFunctions.Find(attribute) is { } activation
                ? new ActivationLayer(index, d, inputShape, activation)
                : throw new NotSupportedException($"Layer {index} ({d}): the reference model does not implement {attribute.GetType().Name}."),
        };
    }

    /// <summary>The exception for a layer that cannot take its input.</summary>
    public static ArgumentException ShapeError(int index, string description, int[] inputShape, string problem) =>
        new($"Layer {index} ({description}) with input shape {Parameter.FormatShape(inputShape)}: {problem}.", "layers");

    /// <summary>PyTorch's output side for a sliding window: ⌊(n + 2p − d(k−1) − 1)/s⌋ + 1 (may be ≤ 0).</summary>
    public static int WindowOutput(int size, int kernel, int stride, int padding, int dilation)
    {
        long span = size + (2L * padding) - ((long)dilation * (kernel - 1)) - 1;
        return span < 0 ? 0 : (int)((span / stride) + 1);
    }

    /// <summary>Validates a pooling window (its arguments already in range) over a <c>[C, H, W]</c> input and returns the output shape.</summary>
    public static int[] PoolShape(int index, string description, int[] inputShape, int kernel, int stride, int padding)
    {
        string? problem =
            inputShape.Length != 3 ? "pooling needs a rank-3 [C, H, W] input"
            : padding > kernel / 2 ? $"Padding must be at most half the kernel size ({kernel / 2}), got {padding}"
            : null;
        if (problem is not null)
        {
            throw ShapeError(index, description, inputShape, problem);
        }

        int outH = WindowOutput(inputShape[1], kernel, stride, padding, 1);
        int outW = WindowOutput(inputShape[2], kernel, stride, padding, 1);
        return outH >= 1 && outW >= 1
            ? [inputShape[0], outH, outW]
            : throw ShapeError(index, description, inputShape, $"the output would be {outH}×{outW}; the padded input is smaller than the {kernel}×{kernel} window");
    }
}
