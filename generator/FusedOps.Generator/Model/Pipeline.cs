namespace FusedOps.Generator.Model;

/// <summary>A per-sample shape: rank 1 <c>(C)</c> or rank 3 <c>(C, H, W)</c>.</summary>
internal sealed record Shape(int Rank, int C, int H, int W)
{
    public int Length => C * H * W;

    public int Spatial => H * W;

    public static Shape Vector(int c) => new(1, c, 1, 1);

    public static Shape Image(int c, int h, int w) => new(3, c, h, w);

    public override string ToString() => Rank == 1 ? $"({C})" : $"({C}, {H}, {W})";

    public string ToArrayLiteral() => Rank == 1 ? $"{C}" : $"{C}, {H}, {W}";
}

/// <summary>The transform's result: a model to emit (null when there are errors) and diagnostics.</summary>
internal sealed record PipelineResult(PipelineModel? Model, EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>
/// One fused pass: an optional Conv2d/Linear, an optional BatchNorm and an optional activation,
/// run together. Indices point into the pipeline's layers; −1 means absent.
/// </summary>
internal sealed record FusionGroup(int Index, int Op, int Norm, int Act, Shape Input, Shape Output);

/// <summary>Everything the emitter needs about one pipeline class.</summary>
internal sealed record PipelineModel(
    string? Namespace,
    string TypeName,
    EquatableArray<string> ContainingTypes,
    string HintName,
    Shape Input,
    EquatableArray<Layer> Layers,
    EquatableArray<Shape> Shapes,
    EquatableArray<FusionGroup> Groups);
