using System;

namespace FusedOps.Reference;

/// <summary>
/// <c>nn.MaxPool2d(k, stride, padding)</c>, floor mode. Padding counts as −∞. The gradient goes
/// to the window's maximum; on ties to the first in row-major order, as PyTorch's CPU kernel,
/// and a NaN counts as the maximum.
/// </summary>
internal sealed class MaxPool2dLayer : RefLayer
{
    private readonly PoolWindow _window;

    private MaxPool2dLayer(int index, string description, int[] inputShape, int[] outputShape, int k, int stride, int padding)
        : base(index, description, inputShape, outputShape) => _window = new PoolWindow(inputShape, outputShape, k, stride, padding);

    public static MaxPool2dLayer Create(int index, string description, MaxPool2dAttribute a, int[] inputShape)
    {
        int[] outputShape = LayerFactory.PoolShape(index, description, inputShape, a.KernelSize, a.Stride, a.Padding);
        return new MaxPool2dLayer(index, description, inputShape, outputShape, a.KernelSize, a.Stride, a.Padding);
    }

    public override double[] Forward(LayerContext context, double[] input)
    {
        var output = new double[context.Batch * OutputLength];
        var argmax = new int[output.Length];
        for (int o = 0; o < output.Length; o++)
        {
            // PyTorch starts from the first element inside the input and replaces it with any
            // strictly larger value or NaN.
            double max = double.NegativeInfinity;
            int at = -1;
            foreach (int i in _window.Inputs(o))
            {
                if (at < 0)
                {
                    at = i;
                }

                if (input[i] > max || double.IsNaN(input[i]))
                {
                    (max, at) = (input[i], i);
                }
            }

            output[o] = max;
            argmax[o] = at;
        }

        context.Saved = argmax;
        return output;
    }

    public override double[] Backward(LayerContext context, double[] outputGradient, double[][] parameterGradients) =>
        RefMath.ToArgMax((int[])context.Saved!, outputGradient, context.Batch * InputLength);
}

/// <summary><c>nn.AvgPool2d(k, stride, padding)</c>, floor mode; zero padding counts in the divisor k².</summary>
internal sealed class AvgPool2dLayer : RefLayer
{
    private readonly PoolWindow _window;
    private readonly int _divisor;

    private AvgPool2dLayer(int index, string description, int[] inputShape, int[] outputShape, int k, int stride, int padding)
        : base(index, description, inputShape, outputShape)
    {
        _window = new PoolWindow(inputShape, outputShape, k, stride, padding);
        _divisor = k * k;
    }

    public static AvgPool2dLayer Create(int index, string description, AvgPool2dAttribute a, int[] inputShape)
    {
        int[] outputShape = LayerFactory.PoolShape(index, description, inputShape, a.KernelSize, a.Stride, a.Padding);
        return new AvgPool2dLayer(index, description, inputShape, outputShape, a.KernelSize, a.Stride, a.Padding);
    }

    public override double[] Forward(LayerContext context, double[] input)
    {
        var output = new double[context.Batch * OutputLength];
        for (int o = 0; o < output.Length; o++)
        {
            double sum = 0;
            foreach (int i in _window.Inputs(o))
            {
                sum += input[i];
            }

            output[o] = sum / _divisor;
        }

        return output;
    }

    public override double[] Backward(LayerContext context, double[] outputGradient, double[][] parameterGradients)
    {
        var inputGradient = new double[context.Batch * InputLength];
        for (int o = 0; o < outputGradient.Length; o++)
        {
            foreach (int i in _window.Inputs(o))
            {
                inputGradient[i] += outputGradient[o] / _divisor;
            }
        }

        return inputGradient;
    }
}

/// <summary><c>nn.AdaptiveAvgPool2d(1)</c>: the mean of each channel, output <c>[C, 1, 1]</c>.</summary>
internal sealed class GlobalAvgPool2dLayer : RefLayer
{
    private GlobalAvgPool2dLayer(int index, string description, int[] inputShape)
        : base(index, description, inputShape, [inputShape[0], 1, 1])
    {
    }

    public static GlobalAvgPool2dLayer Create(int index, string description, int[] inputShape) =>
        inputShape.Length == 3
            ? new GlobalAvgPool2dLayer(index, description, inputShape)
            : throw LayerFactory.ShapeError(index, description, inputShape, "GlobalAvgPool2d needs a rank-3 [C, H, W] input");

    private int Spatial => InputLength / OutputLength;

    public override double[] Forward(LayerContext context, double[] input)
    {
        var output = new double[context.Batch * OutputLength];
        for (int o = 0; o < output.Length; o++)
        {
            double sum = 0;
            for (int s = 0; s < Spatial; s++)
            {
                sum += input[(o * Spatial) + s];
            }

            output[o] = sum / Spatial;
        }

        return output;
    }

    public override double[] Backward(LayerContext context, double[] outputGradient, double[][] parameterGradients)
    {
        var inputGradient = new double[context.Batch * InputLength];
        for (int i = 0; i < inputGradient.Length; i++)
        {
            inputGradient[i] = outputGradient[i / Spatial] / Spatial;
        }

        return inputGradient;
    }
}

/// <summary>The input elements under each output of a 2-D pooling window, skipping padding.</summary>
internal sealed class PoolWindow(int[] inputShape, int[] outputShape, int k, int stride, int padding)
{
    /// <summary>Flat input indices (into the batch tensor) of output <paramref name="flatOutput"/>, row-major.</summary>
    public System.Collections.Generic.IEnumerable<int> Inputs(int flatOutput)
    {
        (int outH, int outW) = (outputShape[1], outputShape[2]);
        (int inH, int inW) = (inputShape[1], inputShape[2]);
        int plane = flatOutput / (outH * outW);
        int oh = flatOutput / outW % outH;
        int ow = flatOutput % outW;
        for (int ih = Math.Max(0, (oh * stride) - padding); ih < Math.Min(inH, (oh * stride) - padding + k); ih++)
        {
            for (int iw = Math.Max(0, (ow * stride) - padding); iw < Math.Min(inW, (ow * stride) - padding + k); iw++)
            {
                yield return (((plane * inH) + ih) * inW) + iw;
            }
        }
    }
}
