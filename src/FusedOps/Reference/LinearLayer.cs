namespace FusedOps.Reference;

/// <summary><c>nn.Linear</c>: y = x·Wᵀ + b, weight <c>[out,in]</c>.</summary>
internal sealed class LinearLayer : RefLayer
{
    private readonly int _in;
    private readonly int _out;
    private readonly bool _bias;

    private LinearLayer(int index, string description, int[] inputShape, int outFeatures, bool bias)
        : base(index, description, inputShape, [outFeatures])
    {
        _in = inputShape[0];
        _out = outFeatures;
        _bias = bias;
        Parameters = bias
            ? [NewParameter("weight", _out, _in), NewParameter("bias", _out)]
            : [NewParameter("weight", _out, _in)];
    }

    public static LinearLayer Create(int index, string description, LinearAttribute attribute, int[] inputShape)
    {
        if (inputShape.Length != 1)
        {
            throw LayerFactory.ShapeError(index, description, inputShape, "Linear needs a rank-1 input; put [Flatten] before it");
        }

        if (attribute.OutFeatures < 1)
        {
            throw LayerFactory.ShapeError(index, description, inputShape, $"outFeatures must be at least 1, got {attribute.OutFeatures}");
        }

        return new LinearLayer(index, description, inputShape, attribute.OutFeatures, attribute.Bias);
    }

    public override void Initialize(InitRandom random) => FillFanIn(random, _in);

    public override double[] Forward(LayerContext context, double[] input)
    {
        double[] w = context.Parameters[0];
        var output = new double[context.Batch * _out];
        for (int n = 0; n < context.Batch; n++)
        {
            for (int o = 0; o < _out; o++)
            {
                double sum = _bias ? context.Parameters[1][o] : 0.0;
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
        double[] w = context.Parameters[0];
        double[] gw = parameterGradients[0];
        var inputGradient = new double[context.Batch * _in];
        for (int n = 0; n < context.Batch; n++)
        {
            for (int o = 0; o < _out; o++)
            {
                double g = outputGradient[(n * _out) + o];
                if (_bias)
                {
                    parameterGradients[1][o] += g;
                }

                for (int i = 0; i < _in; i++)
                {
                    inputGradient[(n * _in) + i] += g * w[(o * _in) + i];
                    gw[(o * _in) + i] += g * x[(n * _in) + i];
                }
            }
        }

        return inputGradient;
    }
}
