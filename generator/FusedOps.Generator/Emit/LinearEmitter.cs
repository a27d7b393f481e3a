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
                // Blocked order (pieces not dividing 16): unfrozen, W stays in PyTorch order and is packed in blocked order per call.
                string when = 16 % g.LinearMaxout == 0 ? string.Empty : "if (fold) ";
                w.Line($"{when}_w{i} = LinearKernels.MaxoutOrder(_w{i}, {g.OpOut}, {g.InLength}, {g.LinearMaxout});");
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

    /// <summary>Columns of a Linear with a fused Maxout (LinearKernels.MaxoutColumns).</summary>
    private static int MaxoutColumns(GroupPlan g) => MaxoutFusion.Columns(g.OpOut, g.LinearMaxout);

    /// <summary>
    /// The training forward anchor: z = x·Wᵀ (+ bias), W packed per step from 8 rows (the statistics need z before the norm). With the
    /// group's activation or the next group's PReLU / BipolarReLU in the epilogue, z is kept for Backward and the activated output
    /// written from the same tile (<c>LinearKernels.TrainForward</c>): no elementwise pass.
    /// </summary>
    public static void Forward(CodeWriter w, PipelineModel m, GroupPlan g, Pass pass, GroupBuffers r, string weight)
    {
        string bias = pass.Has(StageKind.Bias) ? $"{TrainingEmitter.Field(g.Op!, "Bias")}.Data" : "ReadOnlySpan<float>.Empty";
        bool activation = pass.Has(StageKind.Activation), column = pass.Has(StageKind.ChannelActivation);
        if (pass.Has(StageKind.Maxout))
        {
            // Only the Maxout's output and winners are written (its group's buffers); z is not kept.
            int j = g.Index + 1, outputs = g.OpOut / g.TrainingMaxout;
            StandaloneEmitter.Grow(w, $"_piece{j}", "int", $"n * {outputs}");
            w.Line($"LinearKernels.TrainMaxout(ref {r.Input}[0], n, {weight}, {g.OpOut}, {g.InLength}, ref {m.Buffers.Groups[j].Output}[0], "
                + $"_piece{j}.AsSpan(0, n * {outputs}), {bias}, {g.TrainingMaxout});");
            return;
        }

        if (pass.Has(StageKind.Add))
        {
            // The residual add and the activation in the epilogue: u kept for Backward, act(u) the group's output.
            w.Line($"LinearKernels.TrainAddForward({g.Operator.New()}, ref {r.Input}[0], n, {weight}, {g.OpOut}, {g.InLength}, {r.Residual}.AsSpan(0, n * {g.OpOut}),");
            w.Line($"    ref {r.U}[0], ref {r.Output}[0], {bias});");
            return;
        }

        if (!activation && !column)
        {
            string plain = pass.Has(StageKind.Bias) ? ", " + bias : string.Empty;
            w.Line($"LinearKernels.MatMulNT(ref {r.Input}[0], n, ref {weight}[0], {g.OpOut}, {g.InLength}, ref {r.Z}[0]{plain});");
            return;
        }

        // The activation's output: the group's own, or the fused channel activation group's.
        string y = column ? m.Buffers.Groups[g.Index + 1].Output : r.Output;
        if (g.TrainingChannel is { Kind: ChannelActivationKind.RReLU } rrelu)
        {
            // Drawn as the RReLU's own pass draws them (the same stream, the same order), then read by the epilogue and by Backward.
            string slopes = RandomSlopes(g);
            StandaloneEmitter.Grow(w, $"_slopes{g.Index + 1}", "float", $"n * {g.OpOut}");
            w.Line($"RReluOperator.FillSlopes({slopes}, {Literal.Float(rrelu.Lower)}, {Literal.Float(rrelu.Upper)}, _random!);");
        }

        (string act, string op) = column ? Channel(g) : (g.Operator.New(), "ColumnOperator.None, ReadOnlySpan<float>.Empty");
        w.Line($"LinearKernels.TrainForward({act}, ref {r.Input}[0], n, {weight}, {g.OpOut}, {g.InLength}, ref {r.Z}[0], ref {y}[0], {bias}, {op});");
    }

    /// <summary>
    /// The backward anchor: dB = Σ dZ, dW += dZᵀ·X, dX = dZ·W, both products on <c>Gemm.AxpyRows</c> with their rows split
    /// over threads (measured faster than packing X or W per step for <c>PackedGemm</c>; docs/performance.md). With the activation's
    /// (or the fused PReLU's / BipolarReLU's) derivative in the pass, dZ is formed from dY at the kept z in the pass that sums dB
    /// (and the slope gradients).
    /// </summary>
    public static void Backward(CodeWriter w, GroupPlan g, Pass pass, GroupBuffers r, string weight)
    {
        Layer op = g.Op!;
        int outF = g.OpOut, inF = g.InLength;
        string biasGrad = g.HasBias ? $"{TrainingEmitter.Field(op, "Bias")}.Grad" : "Span<float>.Empty";
        if (pass.Has(StageKind.AddGradient))
        {
            // dU at the kept sum, to the saved tensor's gradient and summed into dB in one pass; dZ is dU.
            w.Line($"LinearKernels.AddActivationGradient({g.Operator.New()}, ref dy, ref {r.U}[0], ref {r.GradU}[0], n, {outF}, _gradSave{g.Branch!.Slot}.AsSpan(0, n * {outF}),");
            w.Line($"    {biasGrad});");
            w.Line($"dz = ref {r.GradU}[0];");
        }
        else if (pass.Has(StageKind.ActivationGradient))
        {
            w.Line($"LinearKernels.ActivationGradient({g.Operator.New()}, ref dy, ref {r.Z}[0], ref {r.GradU}[0], n, {outF}, {biasGrad});");
            w.Line($"dz = ref {r.GradU}[0];");
        }
        else if (pass.Has(StageKind.Maxout))
        {
            int outputs = outF / g.TrainingMaxout;
            w.Line($"LinearKernels.MaxoutGradient(ref dy, _piece{g.Index + 1}.AsSpan(0, n * {outputs}), ref {r.GradU}[0], n, {outF}, {g.TrainingMaxout}, {biasGrad});");
            w.Line($"dz = ref {r.GradU}[0];");
        }
        else if (pass.Has(StageKind.ChannelActivation))
        {
            ChannelActivationLayer channel = g.TrainingChannel!;
            string slopes = channel.Kind switch
            {
                ChannelActivationKind.PReLU => $"ColumnOperator.Slope, {TrainingEmitter.Field(channel, "Weight")}.Data, {TrainingEmitter.Field(channel, "Weight")}.Grad",
                ChannelActivationKind.RReLU => $"ColumnOperator.RandomSlope, {RandomSlopes(g)}, Span<float>.Empty",
                _ => "ColumnOperator.Bipolar, ReadOnlySpan<float>.Empty, Span<float>.Empty",
            };
            w.Line($"LinearKernels.ColumnGradient(ref dy, ref {r.Z}[0], ref {r.GradU}[0], n, {outF}, {biasGrad}, {slopes});");
            w.Line($"dz = ref {r.GradU}[0];");
        }
        else if (g.HasBias)
        {
            w.Line($"Gemm.ColumnSums(ref dz, n, {outF}, ref {TrainingEmitter.Field(op, "Bias")}.Grad[0]);");
        }

        w.Line($"LinearKernels.WeightGradient(ref dz, n, ref {r.Input}[0], {outF}, {inF}, ref {TrainingEmitter.Field(op, "Weight")}.Grad[0]);");
        w.Open("if (wantInput)");
        w.Line($"LinearKernels.InputGradient(ref dz, n, ref {weight}[0], {outF}, {inF}, ref dx);");
        w.Close();
    }

    // The fused RReLU's slopes of this step, one per element of z: the field of the RReLU's group.
    private static string RandomSlopes(GroupPlan g) => $"_slopes{g.Index + 1}.AsSpan(0, n * {g.OpOut})";

    // The fused channel activation as TrainForward's activation and column operator: one PReLU slope is an activation of its own.
    private static (string Act, string Column) Channel(GroupPlan g)
    {
        ChannelActivationLayer channel = g.TrainingChannel!;
        string slopes = $"{TrainingEmitter.Field(channel, "Weight")}.Data";
        return channel.Kind switch
        {
            ChannelActivationKind.BipolarReLU => ("default(IdentityOperator)", "ColumnOperator.Bipolar, ReadOnlySpan<float>.Empty"),
            ChannelActivationKind.RReLU => ("default(IdentityOperator)", $"ColumnOperator.RandomSlope, {RandomSlopes(g)}"),
            _ when channel.NumParameters == 1 => ($"new PReluOperator({slopes}[0])", "ColumnOperator.None, ReadOnlySpan<float>.Empty"),
            _ => ("default(IdentityOperator)", $"ColumnOperator.Slope, {slopes}"),
        };
    }
}
