using FusedOps.Generator.Model;
using FusedOps.Generator.Plan;

namespace FusedOps.Generator.Emit;

/// <summary>
/// The Linear anchor's calls, on the runtime's packed GEMM (<c>PackedGemm</c> through <c>LinearKernels</c>):
/// inference with the bias, BatchNorm and activation in the GEMM's epilogue and the weights packed once at
/// <c>Freeze()</c>; the training forward (packed per step, bias in the epilogue); the backward GEMMs.
/// The weight is always read from one plain array expression, so a weight form that computes an effective
/// weight first (WeightNorm, SpectralNorm) only changes that expression.
/// </summary>
internal static class LinearEmitter
{
    /// <summary>The inference model's field for a Linear group's packed weight (empty when not frozen).</summary>
    public static void InferenceFields(CodeWriter w, GroupPlan g)
    {
        if (g.Anchor == AnchorKind.Linear)
        {
            w.Line($"private readonly float[] _packed{g.Index};");
        }
    }

    /// <summary>
    /// After <c>_w{i}</c> holds the weight (BatchNorm folded into its rows when <c>fold</c>): packs it when frozen.
    /// Unfrozen models (the training model's <c>Infer</c>) pack nothing here: their weights change between calls.
    /// </summary>
    public static void InferenceConstructor(CodeWriter w, GroupPlan g)
    {
        if (g.Anchor == AnchorKind.Linear)
        {
            int i = g.Index;
            int cols = g.OpOut;
            if (g.LinearMaxout > 0)
            {
                // The next group's Maxout runs in the GEMM's epilogue: the weight rows, scale and shift in Maxout order (whole panels).
                cols = MaxoutColumns(g);
                w.Line($"_w{i} = LinearKernels.MaxoutOrder(_w{i}, {g.OpOut}, {g.InLength}, {g.LinearMaxout});");
                w.Line($"_scale{i} = LinearKernels.MaxoutOrder(_scale{i}, {g.OpOut}, 1, {g.LinearMaxout});");
                w.Line($"_shift{i} = LinearKernels.MaxoutOrder(_shift{i}, {g.OpOut}, 1, {g.LinearMaxout});");
            }

            w.Line($"_packed{i} = fold ? LinearKernels.PackWeights(_w{i}, {cols}, {g.InLength}) : Array.Empty<float>();");
        }
    }

    /// <summary>The inference anchor pass: y = act(scale ⊙ x·Wᵀ + shift), the epilogue stages of <paramref name="pass"/> on the way out.</summary>
    public static void Infer(CodeWriter w, GroupPlan g, Pass pass)
    {
        int i = g.Index;
        string act = pass.Has(StageKind.Activation) ? g.Operator.New() : "default(IdentityOperator)";
        string call = $"({act}, ref x, m, _w{i}, _packed{i}, {g.OpOut}, {g.InLength}, ref y, _scale{i}, _shift{i}";
        if (g.LinearMaxout > 0)
        {
            w.Line($"LinearKernels.InferMaxout({act}, ref x, m, _w{i}, _packed{i}, {MaxoutColumns(g)}, {g.InLength}, ref y, {g.OpOut / g.LinearMaxout}, "
                + $"_scale{i}, _shift{i}, {g.LinearMaxout});");
            return;
        }

        switch (g.Columns)
        {
            case ChannelEpilogue.Slope:
                // The next group's PReLU (or RReLU's mean slope) per output feature: its slopes follow the shifts.
                w.Line($"LinearKernels.InferColumns{call}, ColumnOperator.Slope, _shift{i}.AsSpan({g.OpOut}));");
                break;
            case ChannelEpilogue.Bipolar:
                w.Line($"LinearKernels.InferColumns{call}, ColumnOperator.Bipolar, ReadOnlySpan<float>.Empty);");
                break;
            default:
                w.Line($"LinearKernels.Infer{call});");
                break;
        }
    }

    /// <summary>Columns of a Linear with a fused Maxout: whole 16-column panels of 16 / pieces outputs each (LinearKernels.MaxoutColumns).</summary>
    private static int MaxoutColumns(GroupPlan g)
    {
        int q = 16 / g.LinearMaxout;
        return (g.OpOut / g.LinearMaxout + q - 1) / q * 16;
    }

    /// <summary>The training forward anchor: z = x·Wᵀ (+ bias), W packed per step from 8 rows (the statistics need z before the norm).</summary>
    public static void Forward(CodeWriter w, GroupPlan g, Pass pass, string x, string weight, string z)
    {
        string bias = pass.Has(StageKind.Bias) ? $", {TrainingEmitter.Field(g.Op!, "Bias")}.Data" : string.Empty;
        w.Line($"LinearKernels.MatMulNT(ref {x}[0], n, ref {weight}[0], {g.OpOut}, {g.InLength}, ref {z}[0]{bias});");
    }

    /// <summary>
    /// The backward anchor: dB = Σ dZ, dW += dZᵀ·X, dX = dZ·W, both products on <c>Gemm.AxpyRows</c> with their rows split
    /// over threads (measured faster than packing X or W per step for <c>PackedGemm</c>; docs/performance.md).
    /// </summary>
    public static void Backward(CodeWriter w, GroupPlan g, string x, string weight)
    {
        Layer op = g.Op!;
        int outF = g.OpOut, inF = g.InLength;
        if (g.HasBias)
        {
            w.Line($"Gemm.ColumnSums(ref dz, n, {outF}, ref {TrainingEmitter.Field(op, "Bias")}.Grad[0]);");
        }

        w.Line($"LinearKernels.WeightGradient(ref dz, n, ref {x}[0], {outF}, {inF}, ref {TrainingEmitter.Field(op, "Weight")}.Grad[0]);");
        w.Open("if (wantInput)");
        w.Line($"LinearKernels.InputGradient(ref dz, n, ref {weight}[0], {outF}, {inF}, ref dx);");
        w.Close();
    }
}
