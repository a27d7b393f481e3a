namespace FusedOps.Reference;

/// <summary>
/// <c>nn.Dropout(p)</c>. Training: each element is kept when the pass's training stream draws
/// u ≥ p (one <see cref="InitRandom.NextSingle"/> per element, row-major over the batch) and
/// scaled by 1/(1 − p); eval: identity.
/// </summary>
internal sealed class DropoutLayer : RefLayer
{
    private readonly double _p;

    private DropoutLayer(int index, string description, int[] inputShape, float p)
        : base(index, description, inputShape, inputShape) => _p = RefMath.Hyper(p);

    public static DropoutLayer Create(int index, string description, DropoutAttribute a, int[] inputShape) =>
        new(index, description, inputShape, a.P);

    public override bool UsesTrainingRandomness => true;

    public override double[] Forward(LayerContext context, double[] input)
    {
        if (!context.Training)
        {
            return (double[])input.Clone();
        }

        // The factor each element is multiplied by: 0 if dropped, 1/(1 − p) if kept. As in
        // PyTorch (input · mask), a dropped NaN stays NaN.
        var factor = new double[input.Length];
        var output = new double[input.Length];
        for (int i = 0; i < input.Length; i++)
        {
            factor[i] = context.Random!.NextSingle() >= _p ? 1 / (1 - _p) : 0;
            output[i] = input[i] * factor[i];
        }

        context.Saved = factor;
        return output;
    }

    public override double[] Backward(LayerContext context, double[] outputGradient, double[][] parameterGradients)
    {
        if (context.Saved is not double[] factor)
        {
            return (double[])outputGradient.Clone();
        }

        var inputGradient = new double[outputGradient.Length];
        for (int i = 0; i < inputGradient.Length; i++)
        {
            inputGradient[i] = outputGradient[i] * factor[i];
        }

        return inputGradient;
    }
}

/// <summary>
/// <c>nn.RReLU(lower, upper)</c>. Training: every element draws a slope
/// lower + (upper − lower)·u from the pass's training stream (row-major over the batch, drawn
/// whatever the sign, so the stream does not depend on the data) and x ≤ 0 takes x·slope;
/// eval: leaky ReLU with slope (lower + upper)/2.
/// </summary>
internal sealed class RReLULayer : RefLayer
{
    private readonly double _lower;
    private readonly double _upper;

    public RReLULayer(int index, string description, int[] inputShape, RReLUAttribute a)
        : base(index, description, inputShape, inputShape) => (_lower, _upper) = (RefMath.Hyper(a.Lower), RefMath.Hyper(a.Upper));

    public override bool UsesTrainingRandomness => true;

    public override double[] Forward(LayerContext context, double[] input)
    {
        var slope = new double[input.Length];
        var output = new double[input.Length];
        for (int i = 0; i < input.Length; i++)
        {
            slope[i] = context.Training ? _lower + ((_upper - _lower) * context.Random!.NextSingle()) : (_lower + _upper) / 2;
            bool negative = context.Training ? input[i] <= 0 : !(input[i] > 0);
            output[i] = negative ? input[i] * slope[i] : input[i];
        }

        context.Saved = slope;
        return output;
    }

    public override double[] Backward(LayerContext context, double[] outputGradient, double[][] parameterGradients)
    {
        var slope = (double[])context.Saved!;
        var inputGradient = new double[outputGradient.Length];
        for (int i = 0; i < inputGradient.Length; i++)
        {
            double x = context.Input[i];
            bool negative = context.Training ? x <= 0 : !(x > 0);
            inputGradient[i] = negative ? outputGradient[i] * slope[i] : outputGradient[i];
        }

        return inputGradient;
    }
}
