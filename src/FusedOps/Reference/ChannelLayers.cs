using System;

namespace FusedOps.Reference;

/// <summary>
/// <c>Maxout(pieces)</c>: output channel (feature) j at each position is the maximum of input
/// channels j·pieces … j·pieces + pieces − 1, as <c>x.view(N, C/pieces, pieces, …).max(dim=2)</c>:
/// the first maximum wins ties, a NaN wins over numbers, and the gradient goes to that one input.
/// </summary>
internal sealed class MaxoutLayer : RefLayer
{
    private readonly int _pieces;
    private readonly int _spatial;

    private MaxoutLayer(int index, string description, int[] inputShape, int pieces)
        : base(index, description, inputShape, [inputShape[0] / pieces, .. inputShape.AsSpan(1)])
    {
        _pieces = pieces;
        _spatial = InputLength / inputShape[0];
    }

    public static MaxoutLayer Create(int index, string description, MaxoutAttribute a, int[] inputShape)
    {
        string? problem =
            inputShape[0] % a.Pieces != 0 ? $"pieces = {a.Pieces} must divide the {inputShape[0]} channels (features)"
            : null;
        return problem is null
            ? new MaxoutLayer(index, description, inputShape, a.Pieces)
            : throw LayerFactory.ShapeError(index, description, inputShape, problem);
    }

    public override double[] Forward(LayerContext context, double[] input)
    {
        var output = new double[context.Batch * OutputLength];
        var argMax = new int[output.Length];
        for (int n = 0; n < context.Batch; n++)
        {
            for (int j = 0; j < OutputShape[0]; j++)
            {
                for (int s = 0; s < _spatial; s++)
                {
                    int first = (n * InputLength) + (j * _pieces * _spatial) + s;
                    int best = first;
                    for (int p = 1; p < _pieces; p++)
                    {
                        int candidate = first + (p * _spatial);
                        if (input[candidate] > input[best] || (double.IsNaN(input[candidate]) && !double.IsNaN(input[best])))
                        {
                            best = candidate;
                        }
                    }

                    int o = (n * OutputLength) + (j * _spatial) + s;
                    output[o] = input[best];
                    argMax[o] = best;
                }
            }
        }

        context.Saved = argMax;
        return output;
    }

    public override double[] Backward(LayerContext context, double[] outputGradient, double[][] parameterGradients) =>
        RefMath.ToArgMax((int[])context.Saved!, outputGradient, context.Batch * InputLength);
}

/// <summary>
/// <c>BipolarReLU</c> (Eidnes and Nøkland 2018): ReLU(x) on even channels (features), −ReLU(−x)
/// on odd ones. Each half has ReLU's backward: zero where its ReLU's argument is ≤ 0.
/// </summary>
internal sealed class BipolarReLULayer : RefLayer
{
    private readonly int _spatial;

    public BipolarReLULayer(int index, string description, int[] inputShape)
        : base(index, description, inputShape, inputShape) => _spatial = InputLength / inputShape[0];

    private bool IsOdd(int flatIndex) => flatIndex % InputLength / _spatial % 2 == 1;

    public override double[] Forward(LayerContext context, double[] input)
    {
        var output = new double[input.Length];
        for (int i = 0; i < output.Length; i++)
        {
            output[i] = IsOdd(i) ? -Math.Max(-input[i], 0.0) : Math.Max(input[i], 0.0);
        }

        return output;
    }

    public override double[] Backward(LayerContext context, double[] outputGradient, double[][] parameterGradients)
    {
        var inputGradient = new double[outputGradient.Length];
        for (int i = 0; i < inputGradient.Length; i++)
        {
            double x = context.Input[i];
            inputGradient[i] = (IsOdd(i) ? -x <= 0 : x <= 0) ? 0 : outputGradient[i];
        }

        return inputGradient;
    }
}
