namespace FusedOps.Reference;

/// <summary>
/// <c>nn.Linear</c>: y = x·Wᵀ + b, weight <c>[out,in]</c>; the weight plain, weight-normalised or
/// spectrally normalised (<see cref="LayerWeights"/>). <c>CosineNorm</c> is <see cref="CosineLinearLayer"/>.
/// </summary>
internal sealed class LinearLayer : RefLayer
{
    private readonly int _in;
    private readonly int _out;
    private readonly LayerWeights _weights;

    private LinearLayer(int index, string description, int[] inputShape, LinearAttribute a)
        : base(index, description, inputShape, [a.OutFeatures])
    {
        _in = inputShape[0];
        _out = a.OutFeatures;
        _weights = new LayerWeights(index, [_out, _in], a.Bias, a.WeightNorm, a.SpectralNorm);
        Parameters = _weights.Parameters;
        Buffers = _weights.Buffers;
    }

    public static RefLayer Create(int index, string description, LinearAttribute attribute, int[] inputShape)
    {
        if (inputShape.Length != 1)
        {
            throw LayerFactory.ShapeError(index, description, inputShape, "Linear needs a rank-1 input; put [Flatten] before it");
        }

        LayerWeights.CheckOptions(index, description, inputShape,
            ("WeightNorm", attribute.WeightNorm), ("SpectralNorm", attribute.SpectralNorm), ("CosineNorm", attribute.CosineNorm));
        return attribute.CosineNorm
            ? new CosineLinearLayer(index, description, inputShape, attribute.OutFeatures)
            : new LinearLayer(index, description, inputShape, attribute);
    }

    public override void Initialize(InitRandom random) => _weights.Initialize(random, _in);

    public override double[] Forward(LayerContext context, double[] input)
    {
        (double[] w, double[]? bias) = _weights.Forward(context);
        var output = new double[context.Batch * _out];
        for (int n = 0; n < context.Batch; n++)
        {
            for (int o = 0; o < _out; o++)
            {
                double sum = bias?[o] ?? 0.0;
                for (int i = 0; i < _in; i++)
                {
                    sum += w[(o * _in) + i] * input[(n * _in) + i];
                }

                output[(n * _out) + o] = sum;
            }
        }

        return output;
    }

    public override double[] Backward(LayerContext context, double[] outputGradient, double[][] parameterGradients)
    {
        double[] x = context.Input;
        double[] w = LayerWeights.SavedWeight(context);
        var gw = new double[w.Length];
        double[]? gb = _weights.BiasGradient(parameterGradients);
        var inputGradient = new double[context.Batch * _in];
        for (int n = 0; n < context.Batch; n++)
        {
            for (int o = 0; o < _out; o++)
            {
                double g = outputGradient[(n * _out) + o];
                if (gb is not null)
                {
                    gb[o] += g;
                }

                for (int i = 0; i < _in; i++)
                {
                    inputGradient[(n * _in) + i] += g * w[(o * _in) + i];
                    gw[(o * _in) + i] += g * x[(n * _in) + i];
                }
            }
        }

        _weights.Backward(context, gw, parameterGradients);
        return inputGradient;
    }
}
