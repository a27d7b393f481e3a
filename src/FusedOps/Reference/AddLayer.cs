using System;

namespace FusedOps.Reference;

/// <summary>
/// <c>[Add(name)]</c>: current + saved. With <see cref="AddAttribute.Projection"/> the saved
/// tensor first goes through torchvision's <c>downsample</c>: a 1×1 <c>nn.Conv2d</c> without bias
/// and with stride s, then <c>nn.BatchNorm2d</c> (batch statistics and running update in
/// training, running statistics in eval). The projection reuses <see cref="Conv2dLayer"/> and
/// <see cref="BatchNormLayer"/> for the arithmetic; this layer owns their state under
/// <c>{i}.proj.*</c> and <c>{i}.bn.*</c>.
/// </summary>
internal sealed class AddLayer : RefLayer
{
    private readonly string _name;
    private readonly int _savedChannels;
    private readonly Conv2dLayer? _projection;
    private readonly BatchNormLayer? _norm;

    private AddLayer(int index, string description, int[] inputShape, string name, int[]? savedShape, int stride)
        : base(index, description, inputShape, inputShape)
    {
        _name = name;
        if (savedShape is null)
        {
            return;
        }

        int outChannels = inputShape[0];
        _savedChannels = savedShape[0];
        _projection = Conv2dLayer.Create(index, description + " projection", new Conv2dAttribute(outChannels, 1) { Stride = stride, Bias = false }, savedShape);
        _norm = BatchNormLayer.Create(index, description + " projection BatchNorm", new BatchNormAttribute(), inputShape);
        Parameters = [NewParameter("proj.weight", outChannels, _savedChannels, 1, 1), NewParameter("bn.weight", outChannels), NewParameter("bn.bias", outChannels)];
        Buffers = [NewBuffer("bn.running_mean", outChannels), NewBuffer("bn.running_var", outChannels)];
    }

    public static AddLayer Create(int index, string description, AddAttribute a, int[] inputShape, BranchTable branches)
    {
        SavedTensor saved = branches.Find(index, description, inputShape, a.Name);
        string shapes = $"the tensor saved as {Literal.Quote(a.Name)} by layer {saved.Layer} has shape {Parameter.FormatShape(saved.Shape)}, the current tensor {Parameter.FormatShape(inputShape)}";
        if (!a.Projection)
        {
            return saved.Shape.AsSpan().SequenceEqual(inputShape)
                ? new AddLayer(index, description, inputShape, a.Name, null, 0)
                : throw LayerFactory.ShapeError(index, description, inputShape,
                    $"{shapes}; an identity Add needs equal shapes (Projection = true maps the saved tensor through a 1×1 Conv2d and BatchNorm)");
        }

        if (saved.Shape.Length != 3 || inputShape.Length != 3)
        {
            throw LayerFactory.ShapeError(index, description, inputShape, $"{shapes}; the projection is a 1×1 Conv2d and needs both tensors of rank 3 [C, H, W]");
        }

        return ProjectionStride(saved.Shape, inputShape) is int stride
            ? new AddLayer(index, description, inputShape, a.Name, saved.Shape, stride)
            : throw LayerFactory.ShapeError(index, description, inputShape,
                $"{shapes}; no stride s of the 1×1 projection gives ⌊(H_saved − 1)/s⌋ + 1 = H and ⌊(W_saved − 1)/s⌋ + 1 = W");
    }

    /// <summary>
    /// The smallest stride s with ⌊(H_saved − 1)/s⌋ + 1 = H and ⌊(W_saved − 1)/s⌋ + 1 = W, or null
    /// if there is none (the current tensor is larger, or H and W shrink by different factors).
    /// </summary>
    internal static int? ProjectionStride(int[] savedShape, int[] shape)
    {
        for (int s = 1; s <= Math.Max(savedShape[1], savedShape[2]); s++)
        {
            if (((savedShape[1] - 1) / s) + 1 == shape[1] && ((savedShape[2] - 1) / s) + 1 == shape[2])
            {
                return s;
            }
        }

        return null;
    }

    /// <summary>PyTorch's defaults: the 1×1 weight from U(±1/√C_saved), then γ = 1, β = 0, mean 0, variance 1.</summary>
    public override void Initialize(InitRandom random)
    {
        if (_projection is null)
        {
            return;
        }

        random.FillFanIn(Parameters[0].Data, _savedChannels);
        Array.Fill(Parameters[1].Data, 1f);
        Array.Fill(Parameters[2].Data, 0f);
        Array.Fill(Buffers[0].Data, 0f);
        Array.Fill(Buffers[1].Data, 1f);
    }

    public override string? CheckBatch(int batch, bool training) => _norm?.CheckBatch(batch, training);

    private sealed record Projection(LayerContext Conv, LayerContext Norm);

    public override double[] Forward(LayerContext context, double[] input)
    {
        double[] shortcut = context.Branches.Get(_name);
        if (_projection is not null && _norm is not null)
        {
            var conv = new LayerContext(context.Batch, context.Training, [context.Parameters[0]], [], null) { Input = shortcut };
            double[] projected = _projection.Forward(conv, shortcut);
            var norm = new LayerContext(context.Batch, context.Training, [context.Parameters[1], context.Parameters[2]], context.Buffers, null) { Input = projected };
            shortcut = _norm.Forward(norm, projected);
            context.UpdatedBuffers = norm.UpdatedBuffers;
            context.Saved = new Projection(conv, norm);
        }

        var output = new double[input.Length];
        for (int i = 0; i < output.Length; i++)
        {
            output[i] = input[i] + shortcut[i];
        }

        return output;
    }

    public override double[] Backward(LayerContext context, double[] outputGradient, double[][] parameterGradients)
    {
        double[] savedGradient = outputGradient;
        if (context.Saved is Projection p && _projection is not null && _norm is not null)
        {
            double[] projectedGradient = _norm.Backward(p.Norm, outputGradient, [parameterGradients[1], parameterGradients[2]]);
            savedGradient = _projection.Backward(p.Conv, projectedGradient, [parameterGradients[0]]);
        }

        context.Branches.AddGradient(_name, savedGradient);
        return (double[])outputGradient.Clone();
    }
}
