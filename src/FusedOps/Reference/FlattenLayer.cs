namespace FusedOps.Reference;

/// <summary><c>nn.Flatten</c>: a reshape; row-major data is unchanged.</summary>
internal sealed class FlattenLayer : RefLayer
{
    public FlattenLayer(int index, string description, int[] inputShape)
        : base(index, description, inputShape, [Product(inputShape)])
    {
    }

    public override double[] Forward(LayerContext context, double[] input) => (double[])input.Clone();

    public override double[] Backward(LayerContext context, double[] outputGradient, double[][] parameterGradients) =>
        (double[])outputGradient.Clone();
}
