using System;

namespace FusedOps.Reference;

/// <summary>
/// <c>nn.LocalResponseNorm(size, alpha, beta, k)</c> across channels:
/// y_c = x_c / (k + α/size · Σ x_{c'}²)^β over c' ∈ [c − ⌊size/2⌋, c + ⌊(size−1)/2⌋] ∩ [0, C),
/// the window PyTorch's zero-padded average pool gives (the divisor is always size).
/// </summary>
internal sealed class LocalResponseNormLayer : RefLayer
{
    private readonly int _size;
    private readonly double _alpha;
    private readonly double _beta;
    private readonly double _k;

    private LocalResponseNormLayer(int index, string description, int[] inputShape, LocalResponseNormAttribute a)
        : base(index, description, inputShape, inputShape)
    {
        _size = a.Size;
        (_alpha, _beta, _k) = (RefMath.Hyper(a.Alpha), RefMath.Hyper(a.Beta), RefMath.Hyper(a.K));
    }

    public static LocalResponseNormLayer Create(int index, string description, LocalResponseNormAttribute a, int[] inputShape)
    {
        string? problem =
            inputShape.Length != 3 ? "LocalResponseNorm needs a rank-3 [C, H, W] input"
            : null;
        return problem is null
            ? new LocalResponseNormLayer(index, description, inputShape, a)
            : throw LayerFactory.ShapeError(index, description, inputShape, problem);
    }

    private int Channels => InputShape[0];

    private int Spatial => InputLength / Channels;

    /// <summary>k + α/size · Σ x² over the window of every element.</summary>
    private double[] Denominators(double[] x, int batch)
    {
        var d = new double[x.Length];
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < Channels; c++)
            {
                for (int s = 0; s < Spatial; s++)
                {
                    double sum = 0;
                    for (int cc = Math.Max(0, c - (_size / 2)); cc <= Math.Min(Channels - 1, c + ((_size - 1) / 2)); cc++)
                    {
                        double v = x[Flat(n, cc, s)];
                        sum += v * v;
                    }

                    d[Flat(n, c, s)] = _k + (_alpha * sum / _size);
                }
            }
        }

        return d;
    }

    private int Flat(int n, int c, int s) => (((n * Channels) + c) * Spatial) + s;

    public override double[] Forward(LayerContext context, double[] input)
    {
        double[] d = Denominators(input, context.Batch);
        context.Saved = d;
        var output = new double[input.Length];
        for (int i = 0; i < output.Length; i++)
        {
            output[i] = input[i] / Math.Pow(d[i], _beta);
        }

        return output;
    }

    public override double[] Backward(LayerContext context, double[] outputGradient, double[][] parameterGradients)
    {
        // y_c = x_c·D_c^(−β), and x_j enters D_c for every c whose window holds j:
        // dL/dx_j = g_j·D_j^(−β) − (2αβ/size)·x_j·Σ_c g_c·x_c·D_c^(−β−1).
        double[] x = context.Input;
        var d = (double[])context.Saved!;
        var inputGradient = new double[x.Length];
        for (int n = 0; n < context.Batch; n++)
        {
            for (int j = 0; j < Channels; j++)
            {
                for (int s = 0; s < Spatial; s++)
                {
                    double cross = 0;
                    for (int c = Math.Max(0, j - ((_size - 1) / 2)); c <= Math.Min(Channels - 1, j + (_size / 2)); c++)
                    {
                        int ci = Flat(n, c, s);
                        cross += outputGradient[ci] * x[ci] * Math.Pow(d[ci], -_beta - 1);
                    }

                    int ji = Flat(n, j, s);
                    inputGradient[ji] = (outputGradient[ji] * Math.Pow(d[ji], -_beta))
                        - (2 * _alpha * _beta / _size * x[ji] * cross);
                }
            }
        }

        return inputGradient;
    }
}
