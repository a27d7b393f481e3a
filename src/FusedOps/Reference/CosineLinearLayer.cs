using System;

namespace FusedOps.Reference;

/// <summary>
/// <c>Linear(out, CosineNorm = true)</c>, cosine normalisation (Luo et al. 2017):
/// y_j = w_j·x/(‖w_j‖·‖x‖) per sample, no bias; state <c>{i}.weight</c> <c>[out, in]</c>, initially
/// U(±1/√in) as Linear's weight (no bias is drawn). A zero input or weight row gives 0/0 = NaN,
/// as the formula does.
/// </summary>
internal sealed class CosineLinearLayer : RefLayer
{
    private readonly int _in;
    private readonly int _out;

    public CosineLinearLayer(int index, string description, int[] inputShape, int outFeatures)
        : base(index, description, inputShape, [outFeatures])
    {
        _in = inputShape[0];
        _out = outFeatures;
        Parameters = [NewParameter("weight", _out, _in)];
    }

    public override void Initialize(InitRandom random) => random.FillFanIn(Parameters[0].Data, _in);

    private sealed record Saved(double[] Output, double[] WeightNorms, double[] InputNorms);

    public override double[] Forward(LayerContext context, double[] input)
    {
        double[] w = context.Parameters[0];
        double[] weightNorms = RowNorms(w, _out, _in);
        double[] inputNorms = RowNorms(input, context.Batch, _in);
        var output = new double[context.Batch * _out];
        for (int n = 0; n < context.Batch; n++)
        {
            for (int o = 0; o < _out; o++)
            {
                double dot = 0;
                for (int i = 0; i < _in; i++)
                {
                    dot += w[(o * _in) + i] * input[(n * _in) + i];
                }

                output[(n * _out) + o] = dot / (weightNorms[o] * inputNorms[n]);
            }
        }

        context.Saved = new Saved(output, weightNorms, inputNorms);
        return output;
    }

    /// <summary>
    /// With a = ‖w_j‖, b = ‖x‖: ∂y_j/∂x = w_j/(a·b) − y_j·x/b² and ∂y_j/∂w_j = x/(a·b) − y_j·w_j/a².
    /// </summary>
    public override double[] Backward(LayerContext context, double[] outputGradient, double[][] parameterGradients)
    {
        (double[] y, double[] a, double[] b) = (Saved)context.Saved!;
        double[] x = context.Input;
        double[] w = context.Parameters[0];
        double[] gw = parameterGradients[0];
        var inputGradient = new double[x.Length];
        for (int n = 0; n < context.Batch; n++)
        {
            for (int o = 0; o < _out; o++)
            {
                double g = outputGradient[(n * _out) + o];
                double yo = y[(n * _out) + o];
                for (int i = 0; i < _in; i++)
                {
                    double xi = x[(n * _in) + i], wi = w[(o * _in) + i];
                    inputGradient[(n * _in) + i] += g * ((wi / (a[o] * b[n])) - (yo * xi / (b[n] * b[n])));
                    gw[(o * _in) + i] += g * ((xi / (a[o] * b[n])) - (yo * wi / (a[o] * a[o])));
                }
            }
        }

        return inputGradient;
    }

    private static double[] RowNorms(double[] values, int rows, int columns)
    {
        var norms = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            double sum = 0;
            for (int c = 0; c < columns; c++)
            {
                sum += values[(r * columns) + c] * values[(r * columns) + c];
            }

            norms[r] = Math.Sqrt(sum);
        }

        return norms;
    }
}
