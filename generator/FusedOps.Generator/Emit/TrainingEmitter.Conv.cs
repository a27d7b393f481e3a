using System.Linq;
using FusedOps.Generator.Model;
using FusedOps.Generator.Plan;

namespace FusedOps.Generator.Emit;

/// <summary>Conv2d training passes that run on the runtime's <c>Conv2dTrainer</c> (see <see cref="TrainingConv.OnGrid"/>).</summary>
internal static partial class TrainingEmitter
{
    private static void WriteConvTrainerFields(CodeWriter w, PipelineModel m)
    {
        foreach (GroupPlan g in m.AllGroups)
        {
            if (g.Conv is { } c && TrainingConv.OnGrid(c))
            {
                w.Line($"private readonly Conv2dTrainer _conv{g.Index} = new({c.C}, {c.H}, {c.W}, {c.OC}, {c.K}, {c.Pad}, {c.Dilation});");
            }
        }

        WritePerSampleFields(w, m);
    }

    /// <summary>
    /// z = conv(x) + bias for the batch, split over samples, with what the plan put in its epilogue (<see cref="TrainingConv.Apply"/>):
    /// the residual add and the activation, or the next group's channel activation or Maxout (written to that group's output); the
    /// channel sums of the conv output when BatchNorm follows.
    /// </summary>
    private static void WriteGridForward(CodeWriter w, PipelineModel m, GroupPlan g, GroupBuffers r, Pass pass)
    {
        int i = g.Index;
        string parameters = $"{Field(g.Op!, "Weight")}.Data, {(g.HasBias ? Field(g.Op!, "Bias") + ".Data" : "null")}";
        string args = $"{r.Input}, {parameters}";
        string sums = r.ChannelSums ? $"_sum{i}, _sumSq{i}" : "null, null";
        if (g.PadNormOf >= 0)
        {
            // Its input is the previous group's z: that group's normalise and activation run in this conv's pad (forward and backward).
            GroupPlan before = m.Groups[g.PadNormOf];
            w.Line($"_conv{i}.NormalizeInput({before.Operator.New()}, _scale{before.Index}, _shift{before.Index});");
        }

        if (pass.Has(StageKind.Add))
        {
            w.Line($"_conv{i}.AddForward({g.Operator.New()}, {args}, {r.Z}, {r.Residual}, {r.U ?? r.Output}, {r.Output}, n);");
        }
        else if (pass.Has(StageKind.Activation))
        {
            w.Line($"_conv{i}.Forward({g.Operator.New()}, {args}, {r.Z}, {r.Output}, n);");
        }
        else if (pass.Has(StageKind.ChannelActivation))
        {
            w.Line($"_conv{i}.ChannelForward({DrawChannel(w, m, g)}, {args}, {r.Z}, {m.Buffers.Groups[i + 1].Output}, n);");
        }
        else if (pass.Has(StageKind.Maxout))
        {
            GroupPlan next = m.Groups[i + 1];
            StandaloneEmitter.Grow(w, $"_piece{next.Index}", "int", $"n * {next.OutLength}");
            string output = m.Buffers.Groups[next.Index].Output;
            w.Line($"_conv{i}.MaxoutForward({((MaxoutLayer)next.Op!).Pieces}, _piece{next.Index}, {args}, {output}, n);");
        }
        else if (InputFromCaller(m, g))
        {
            // The conv pads straight from the caller's span into the planes it keeps for the backward, which reads them, never
            // the span; a batch too large to keep them copies the input as before (the backward pads from _in again).
            w.Open($"if (_conv{i}.KeepsInput(n))");
            w.Line($"_conv{i}.Forward(input, {r.Input}, {parameters}, {r.Z}, n, {sums});");
            w.Close();
            w.Open("else");
            w.Line($"input.CopyTo({r.Input});");
            w.Line($"_conv{i}.Forward({args}, {r.Z}, n, {sums});");
            w.Close();
        }
        else
        {
            w.Line($"_conv{i}.Forward({args}, {r.Z}, n, {sums});");
        }

        if (g.NormInNextPad)
        {
            w.Line();
            w.Line($"// Normalise + activation: in group {i + 1}'s input pad, so the output is never stored; the batch statistics here.");
            WriteBatchStatistics(w, g);
        }
    }

    /// <summary>
    /// Whether the first group's grid conv reads the caller's input span itself (<c>Conv2dTrainer.KeepsInput</c>): a plain conv (its
    /// output's channel sums at most in the epilogue) whose input nothing else reads (no Save of the pipeline's input).
    /// </summary>
    internal static bool InputFromCaller(PipelineModel m, GroupPlan g) =>
        g.Index == 0 && g.Conv is { } c && TrainingConv.OnGrid(c) && g.PadNormOf < 0 && !m.Saves.Any(s => s.AfterGroup < 0)
        && g.Forward.Count > 0 && g.Forward[0] is { Kind: PassKind.Anchor } p
        && !p.Has(StageKind.Add) && !p.Has(StageKind.Activation) && !p.Has(StageKind.ChannelActivation) && !p.Has(StageKind.Maxout);

    /// <summary>
    /// dW, dB (accumulated) and dX for the batch, split over samples; dz is formed per sample as it goes onto the grid: from
    /// the BatchNorm's dU with <paramref name="normArgs"/> (z, γ, μ, invStd and the sums of its backward), or from dY through what
    /// the forward epilogue ran (the activation's derivative at z or u, the residual's gradient to the saved tensor, the next
    /// group's channel activation or Maxout).
    /// </summary>
    private static void WriteGridBackward(CodeWriter w, PipelineModel m, GroupPlan g, GroupBuffers r, Pass pass, string? normArgs)
    {
        string weight = Field(g.Op!, "Weight");
        string tail = $"{weight}.Data, {weight}.Grad, {(g.HasBias ? Field(g.Op!, "Bias") + ".Grad" : "null")}, ref dx, wantInput, n";
        string conv = $"_conv{g.Index}";
        if (g.PadNormOf >= 0 && m.Groups[g.PadNormOf] is { SumsInNextBackward: true } previous)
        {
            // The previous group's reductions per sample as dX is formed (TrainingNormFusion rule 7).
            int p = previous.Index;
            string saved = previous.SavedGradientIn is { } joined ? $"_gradSave{joined.Slot}" : "null";
            StandaloneEmitter.Grow(w, $"_sumsPerSample{p}", "double", $"n * {2 * previous.Channels}");
            string head = $"{conv}.ReduceInputGradient({previous.Operator.New()}, {r.Input}, _scale{p}, _shift{p}, _mean{p}, _invStd{p}, ";
            if (previous.SavedGradientIn is { } slot && TrainingNormFusion.PooledSavedGradientOf(m.Groups, slot.Slot) is { } pooled)
            {
                // The saved tensor's gradient stored at the pooled size (TrainingNormFusion rule 8): formed per plane and added to dX there.
                GroupPlan pool = m.Groups[pooled.Index + 1];
                head = $"{conv}.ReducePooledInputGradient({previous.Operator.New()}, {r.Input}, _scale{p}, _shift{p}, _mean{p}, _invStd{p}, ";
                saved = $"{StandaloneEmitter.Window(pool, pooled.TrainingPool!)}, _argMax{pool.Index}, _gradPool{pooled.Index}";
            }

            w.Line($"{head}{saved}, _sumsPerSample{p});");
        }

        if (g.DuRecomputed)
        {
            // dU = act′(dY) at the recomputed u per sample, then BatchNorm's input gradient, as dZ goes onto the grid.
            int i = g.Index;
            BatchNormLayer norm = g.Norm!;
            w.Line($"long count = (long)n * {g.Spatial};");
            // dY the pooled gradient (TrainingNormFusion rule 6): the pool's input gradient formed per sample first.
            string call = TrainingNormFusion.PoolBackwardIn(m.Groups, g)
                ? $"PooledNormBackward({g.Operator.New()}, _scale{i}, _shift{i}, {StandaloneEmitter.Window(m.Groups[i + 1], g.TrainingPool!)}, _argMax{i + 1},"
                : $"NormBackward({g.Operator.New()}, _scale{i}, _shift{i},";
            w.Line($"{conv}.{call} {r.Input}, ref dz, {r.Z}, {Data(null, norm, "Weight", norm.Affine)}, _mean{i}, _invStd{i}, _sum{i},");
            w.Line($"    _sumSq{i}, count, {tail});");
        }
        else if (pass.Has(StageKind.AddGradient))
        {
            string sum = pass.Has(StageKind.ActivationGradient) ? r.U! : "null";
            w.Line($"{conv}.AddBackward({g.Operator.New()}, {r.Input}, ref dz, {sum}, _gradSave{g.Branch!.Slot}, {tail});");
        }
        else if (pass.Has(StageKind.ActivationGradient))
        {
            w.Line($"{conv}.Backward({g.Operator.New()}, {r.Input}, ref dz, {r.Z}, {tail});");
        }
        else if (pass.Has(StageKind.ChannelActivation))
        {
            w.Line($"{conv}.ChannelBackward({ChannelArgs(m, g, gradient: true)}, {r.Input}, ref dz, {r.Z}, {tail});");
        }
        else if (pass.Has(StageKind.Maxout))
        {
            GroupPlan next = m.Groups[g.Index + 1];
            w.Line($"{conv}.MaxoutBackward({((MaxoutLayer)next.Op!).Pieces}, _piece{next.Index}, {r.Input}, ref dz, {tail});");
        }
        else
        {
            string norm = normArgs is null ? string.Empty : normArgs + ", ";
            // dU from the pooled gradient per plane as dZ goes onto the grid (TrainingNormFusion rule 8).
            string call = g.PooledSavedGradient && normArgs is not null
                ? $"PooledBackward({StandaloneEmitter.Window(m.Groups[g.Index + 1], g.TrainingPool!)}, _argMax{g.Index + 1}, "
                : "Backward(";
            w.Line($"{conv}.{call}{r.Input}, ref dz, {norm}{tail});");
        }
    }

    /// <summary>
    /// The head of the call BatchNorm's reduction pass makes when the next group's channel activation or Maxout rides it (its
    /// derivative first, on the recomputed BatchNorm output), or null (the group's own activation, <c>act</c>, declared here).
    /// </summary>
    private static string? NormReductionHead(CodeWriter w, PipelineModel m, GroupPlan g, Pass pass)
    {
        if (pass.Has(StageKind.Maxout))
        {
            w.Line("// The next group's Maxout first: dY to each run's winning piece, 0 to the others.");
            return $"MaxoutBackwardReduce({((MaxoutLayer)m.Groups[g.Index + 1].Op!).Pieces}, _piece{g.Index + 1}";
        }

        if (pass.Has(StageKind.ChannelActivation))
        {
            w.Line("// The next group's channel activation derivative first, on the recomputed BatchNorm output.");
            return $"ChannelBackwardReduce({ChannelArgs(m, g, gradient: true)}";
        }

        if (!g.SumsInNextBackward)
        {
            // With its reductions formed in the next conv's backward (TrainingNormFusion rule 7), nothing here takes the activation.
            w.Line($"var act = {g.Operator.New()};");
        }

        return null;
    }

    /// <summary>
    /// Forward: RReLU's slopes for the whole batch drawn first (in the layer's own pass's order: the same stream, the same bits),
    /// then the channel activation's arguments.
    /// </summary>
    private static string DrawChannel(CodeWriter w, PipelineModel m, GroupPlan g)
    {
        GroupPlan next = m.Groups[g.Index + 1];
        var layer = (ChannelActivationLayer)next.Op!;
        if (layer.Kind == ChannelActivationKind.RReLU)
        {
            StandaloneEmitter.Grow(w, $"_slopes{next.Index}", "float", $"n * {next.InLength}");
            string lower = Literal.Float(layer.Lower), upper = Literal.Float(layer.Upper);
            w.Line($"RReluOperator.FillSlopes(_slopes{next.Index}.AsSpan(0, n * {next.InLength}), {lower}, {upper}, _random!);");
        }

        return ChannelArgs(m, g, gradient: false);
    }

    /// <summary>
    /// The next group's channel activation as arguments: its kind and slopes (PReLU's parameter, RReLU's drawn slopes, or none),
    /// with <paramref name="gradient"/> also PReLU's slope gradient (else an empty span).
    /// </summary>
    private static string ChannelArgs(PipelineModel m, GroupPlan g, bool gradient)
    {
        GroupPlan next = m.Groups[g.Index + 1];
        var layer = (ChannelActivationLayer)next.Op!;
        string args = layer.Kind switch
        {
            ChannelActivationKind.PReLU => $"Conv2dTrainer.ChannelActivation.PRelu, {Field(layer, "Weight")}.Data",
            ChannelActivationKind.RReLU => $"Conv2dTrainer.ChannelActivation.RRelu, _slopes{next.Index}",
            _ => "Conv2dTrainer.ChannelActivation.BipolarRelu, Array.Empty<float>()",
        };
        string slopeGrad = layer.Kind == ChannelActivationKind.PReLU ? Field(layer, "Weight") + ".Grad" : "Span<float>.Empty";
        return gradient ? $"{args}, {slopeGrad}" : args;
    }
}
