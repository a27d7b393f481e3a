namespace FusedOps.Reference;

/// <summary>
/// <c>nn.BatchNorm1d</c> on <c>[C]</c>, <c>nn.BatchNorm2d</c> on <c>[C, H, W]</c>. Training:
/// batch statistics over batch × H × W, and running = (1 − m)·running + m·stat with the unbiased
/// variance. Eval: running statistics.
/// </summary>
internal sealed class BatchNormLayer : NormalizationLayer
{
    private readonly double _momentum;

    private BatchNormLayer(int index, string description, int[] inputShape, BatchNormAttribute a)
        : base(index, description, inputShape, a.Epsilon, a.Affine, [inputShape[0]])
    {
        _momentum = RefMath.Hyper(a.Momentum);
        Buffers = [NewBuffer("running_mean", Channels), NewBuffer("running_var", Channels)];
    }

    public static BatchNormLayer Create(int index, string description, BatchNormAttribute a, int[] inputShape) =>
        inputShape.Length is 1 or 3
            ? new BatchNormLayer(index, description, inputShape, a)
            : throw LayerFactory.ShapeError(index, description, inputShape, "BatchNorm needs a rank-1 [C] or rank-3 [C, H, W] input");

    public override void Initialize(InitRandom random)
    {
        base.Initialize(random);
        System.Array.Fill(Buffers[0].Data, 0f);
        System.Array.Fill(Buffers[1].Data, 1f);
    }

    public override string? CheckBatch(int batch, bool training) => CheckBatchStatistics(this, Spatial, batch, training);

    /// <summary>Batch statistics need more than one value per channel, as PyTorch's BatchNorm says.</summary>
    internal static string? CheckBatchStatistics(RefLayer layer, int spatial, int batch, bool training) =>
        training && (long)batch * spatial == 1
            ? $"Layer {layer.Index} ({layer.Description}) in training mode needs more than one value per channel to compute batch statistics; got batchSize {batch} × {spatial} value per channel per sample = 1 (input shape {Parameter.FormatShape(layer.InputShape)}). Use a larger batch, or Infer."
            : null;

    protected override int[][] Groups(int batch)
    {
        var groups = new int[Channels][];
        for (int c = 0; c < Channels; c++)
        {
            var members = new int[batch * Spatial];
            for (int n = 0; n < batch; n++)
            {
                SampleChannels(n, c, 1).CopyTo(members, n * Spatial);
            }

            groups[c] = members;
        }

        return groups;
    }

    protected override int AffineIndex(int positionInSample) => positionInSample / Spatial;

    protected override bool UsesStoredStatistics(LayerContext context) => !context.Training;

    protected override (double Mean, double Variance) StoredStatistics(LayerContext context, int group) =>
        (context.Buffers[0][group], context.Buffers[1][group]);

    protected override void OnBatchStatistics(LayerContext context, int group, double mean, double biasedVariance, int count)
    {
        context.UpdatedBuffers ??= [(double[])context.Buffers[0].Clone(), (double[])context.Buffers[1].Clone()];
        double unbiased = biasedVariance * count / (count - 1);
        context.UpdatedBuffers[0][group] = ((1 - _momentum) * context.Buffers[0][group]) + (_momentum * mean);
        context.UpdatedBuffers[1][group] = ((1 - _momentum) * context.Buffers[1][group]) + (_momentum * unbiased);
    }
}

/// <summary><c>nn.LayerNorm(per-sample shape)</c>: each sample normalised over all its elements; γ, β elementwise.</summary>
internal sealed class LayerNormLayer : NormalizationLayer
{
    public LayerNormLayer(int index, string description, int[] inputShape, LayerNormAttribute a)
        : base(index, description, inputShape, a.Epsilon, a.Affine, inputShape)
    {
    }

    protected override int[][] Groups(int batch)
    {
        var groups = new int[batch][];
        for (int n = 0; n < batch; n++)
        {
            groups[n] = SampleChannels(n, 0, Channels);
        }

        return groups;
    }

    protected override int AffineIndex(int positionInSample) => positionInSample;
}

/// <summary><c>nn.GroupNorm(groups, C)</c>: each sample's channels split into groups, each normalised; γ, β per channel.</summary>
internal sealed class GroupNormLayer : NormalizationLayer
{
    private readonly int _groups;

    private GroupNormLayer(int index, string description, int[] inputShape, GroupNormAttribute a)
        : base(index, description, inputShape, a.Epsilon, a.Affine, [inputShape[0]]) => _groups = a.Groups;

    public static GroupNormLayer Create(int index, string description, GroupNormAttribute a, int[] inputShape)
    {
        string? problem =
            inputShape.Length is not (1 or 3) ? "GroupNorm needs a rank-1 [C] or rank-3 [C, H, W] input"
            : inputShape[0] % a.Groups != 0 ? $"groups = {a.Groups} must divide the {inputShape[0]} channels"
            : null;
        return problem is null
            ? new GroupNormLayer(index, description, inputShape, a)
            : throw LayerFactory.ShapeError(index, description, inputShape, problem);
    }

    protected override int[][] Groups(int batch)
    {
        int perGroup = Channels / _groups;
        var groups = new int[batch * _groups][];
        for (int n = 0; n < batch; n++)
        {
            for (int g = 0; g < _groups; g++)
            {
                groups[(n * _groups) + g] = SampleChannels(n, g * perGroup, perGroup);
            }
        }

        return groups;
    }

    protected override int AffineIndex(int positionInSample) => positionInSample / Spatial;
}

/// <summary><c>nn.InstanceNorm2d</c> (no running statistics): each channel of each sample normalised over H × W.</summary>
internal sealed class InstanceNormLayer : NormalizationLayer
{
    private InstanceNormLayer(int index, string description, int[] inputShape, InstanceNormAttribute a)
        : base(index, description, inputShape, a.Epsilon, a.Affine, [inputShape[0]])
    {
    }

    public static InstanceNormLayer Create(int index, string description, InstanceNormAttribute a, int[] inputShape)
    {
        // PyTorch refuses one spatial element: the variance would always be 0.
        string? problem =
            inputShape.Length != 3 ? "InstanceNorm needs a rank-3 [C, H, W] input"
            : inputShape[1] * inputShape[2] == 1 ? "InstanceNorm needs more than one spatial element per channel"
            : null;
        return problem is null
            ? new InstanceNormLayer(index, description, inputShape, a)
            : throw LayerFactory.ShapeError(index, description, inputShape, problem);
    }

    protected override int[][] Groups(int batch)
    {
        var groups = new int[batch * Channels][];
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < Channels; c++)
            {
                groups[(n * Channels) + c] = SampleChannels(n, c, 1);
            }
        }

        return groups;
    }

    protected override int AffineIndex(int positionInSample) => positionInSample / Spatial;
}
