using System;

namespace FusedOps.Reference;

/// <summary>A stateless elementwise activation from <see cref="ActivationFunctions"/>.</summary>
internal sealed class ActivationLayer : RefLayer
{
    private readonly Activation _activation;

    public ActivationLayer(int index, string description, int[] inputShape, Activation activation)
        : base(index, description, inputShape, inputShape) => _activation = activation;

    public override double[] Forward(LayerContext context, double[] input) => Array.ConvertAll(input, x => _activation.Forward(x));

    public override double[] Backward(LayerContext context, double[] outputGradient, double[][] parameterGradients)
    {
        var inputGradient = new double[outputGradient.Length];
        for (int i = 0; i < inputGradient.Length; i++)
        {
            inputGradient[i] = _activation.Backward(context.Input[i], outputGradient[i]);
        }

        return inputGradient;
    }
}

/// <summary>
/// <c>nn.PReLU(num_parameters, init)</c>: x &gt; 0 ? x : a·x with a learnable a, one for all
/// elements or one per channel (dimension 0 of the sample).
/// </summary>
internal sealed class PReLULayer : RefLayer
{
    private readonly float _init;
    private readonly int _perSlope;

    private PReLULayer(int index, string description, int[] inputShape, PReLUAttribute a)
        : base(index, description, inputShape, inputShape)
    {
        _init = a.Init;
        _perSlope = a.NumParameters == 1 ? InputLength : InputLength / inputShape[0];
        Parameters = [NewParameter("weight", a.NumParameters)];
    }

    public static PReLULayer Create(int index, string description, PReLUAttribute a, int[] inputShape) =>
        a.NumParameters == 1 || a.NumParameters == inputShape[0]
            ? new PReLULayer(index, description, inputShape, a)
            : throw LayerFactory.ShapeError(index, description, inputShape,
                $"NumParameters must be 1 or the {inputShape[0]} channels, got {a.NumParameters}");

    public override void Initialize(InitRandom random) => Array.Fill(Parameters[0].Data, _init);

    private int Slope(int flatIndex) => flatIndex % InputLength / _perSlope;

    public override double[] Forward(LayerContext context, double[] input)
    {
        var output = new double[input.Length];
        for (int i = 0; i < output.Length; i++)
        {
            output[i] = input[i] > 0 ? input[i] : context.Parameters[0][Slope(i)] * input[i];
        }

        return output;
    }

    public override double[] Backward(LayerContext context, double[] outputGradient, double[][] parameterGradients)
    {
        double[] x = context.Input;
        var inputGradient = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            if (x[i] > 0)
            {
                inputGradient[i] = outputGradient[i];
            }
            else
            {
                inputGradient[i] = context.Parameters[0][Slope(i)] * outputGradient[i];
                parameterGradients[0][Slope(i)] += x[i] * outputGradient[i];
            }
        }

        return inputGradient;
    }
}
