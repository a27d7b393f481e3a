using FusedOps.Generator.Model;
using FusedOps.Generator.Plan;

namespace FusedOps.Generator.Emit;

/// <summary>Each group's training forward and backward: its planned passes, in order, as calls.</summary>
internal static partial class TrainingEmitter
{
    private static void WriteGroupForward(CodeWriter w, PipelineModel m, GroupPlan g)
    {
        GroupBuffers r = m.Buffers.Groups[g.Index];
        string x = r.Input, z = r.Z, y = r.Output;
        int i = g.Index;
        w.Line($"// Group {i} training forward: {g.Describe()}, {g.Input} -> {g.Output}.");
        // The last group may write the caller's output span directly (BufferPlanner.OutputToCaller): no copy after the forward.
        string input = InputFromCaller(m, g) ? ", ReadOnlySpan<float> input" : string.Empty;
        string output = y == BufferPlanner.CallerOutput ? $", Span<float> {y}" : string.Empty;
        w.Open($"private void G{i}_Forward(int n{input}{output})");
        foreach (Pass pass in g.Forward)
        {
            w.Line($"// Pass: {HeaderEmitter.Describe(g, pass)}.");
            switch (pass.Kind)
            {
                case PassKind.Anchor when g.Anchor == AnchorKind.Standalone:
                    StandaloneEmitter.Forward(w, m, g, x, y);
                    break;
                case PassKind.Anchor when g.Conv is not null && TrainingConv.OnGrid(g.Conv):
                    WriteGridForward(w, m, g, r, pass);
                    break;
                case PassKind.Anchor when g.Conv is not null:
                    WritePerSampleForward(w, m, g, r, pass);
                    break;
                case PassKind.Anchor when g.Anchor == AnchorKind.Concat:
                    w.Line($"Norm.ConcatSamples(ref {x}[0], {g.InLength}, ref {r.Residual}[0], {g.OutLength - g.InLength}, ref {y}[0], n);");
                    break;
                case PassKind.Anchor:
                    LinearEmitter.Forward(w, m, g, pass, r, Field(g.Op!, "Weight") + ".Data");
                    break;
                case PassKind.Own:
                    // Batch statistics of a group whose anchor cannot accumulate them in its epilogue.
                    w.Line($"Array.Clear(_sum{i});");
                    w.Line($"Array.Clear(_sumSq{i});");
                    w.Line($"Norm.ChannelSums(ref {z}[0], n, {g.Channels}, {g.Spatial}, _sum{i}, _sumSq{i});");
                    break;
                case PassKind.Elementwise when pass.Has(StageKind.Add):
                    WriteAddForward(w, m, g, r, pass);
                    break;
                case PassKind.Elementwise when pass.Has(StageKind.ChannelActivation):
                    // The next group's channel activation on the normalised values; the BatchNorm output itself is not stored.
                    WriteBatchStatistics(w, g);
                    string channel = DrawChannel(w, m, g);
                    string next = m.Buffers.Groups[i + 1].Output;
                    w.Line($"TrainingPasses.ChannelAffineForward({channel}, ref {z}[0], ref {next}[0], n, {g.Channels}, {g.Spatial}, ref _scale{i}[0], ref _shift{i}[0]);");
                    break;
                case PassKind.Elementwise when pass.Has(StageKind.Maxout):
                    // The next group's Maxout on the normalised values: only each run's maximum and winning piece are stored.
                    WriteBatchStatistics(w, g);
                    GroupPlan maxout = m.Groups[i + 1];
                    StandaloneEmitter.Grow(w, $"_piece{i + 1}", "int", $"n * {maxout.OutLength}");
                    w.Line($"TrainingPasses.MaxoutAffineForward({((MaxoutLayer)maxout.Op!).Pieces}, _piece{i + 1}, ref {z}[0], ref {m.Buffers.Groups[i + 1].Output}[0], n, {g.Channels}, {g.Spatial},");
                    w.Line($"    ref _scale{i}[0], ref _shift{i}[0]);");
                    break;
                case PassKind.Elementwise when pass.Has(StageKind.Normalize) && g.TrainingPool is { } pool:
                    // The next group's MaxPool2d in the same sweep: only the pooled output and arg-max are stored.
                    WriteBatchStatistics(w, g);
                    w.Line($"var act = {g.Operator.New()};");
                    string pooled = PooledOutput(w, m, g);
                    w.Line($"TrainingPasses.AffinePoolForward(act, ref {z}[0], {pooled}, n, {g.Channels}, ref _scale{i}[0], ref _shift{i}[0],");
                    w.Line($"    {StandaloneEmitter.Window(m.Groups[i + 1], pool)});");
                    break;
                case PassKind.Elementwise when pass.Has(StageKind.Normalize):
                    WriteBatchStatistics(w, g);
                    w.Line($"var act = {g.Operator.New()};");
                    w.Line($"TrainingPasses.AffineForward(act, ref {z}[0], ref {y}[0], n, {g.Channels}, {g.Spatial}, ref _scale{i}[0], ref _shift{i}[0]);");
                    break;
                case PassKind.Elementwise:
                    w.Line($"ActivationPass.Forward({g.Operator.New()}, ref {z}[0], ref {y}[0], n * {g.OutLength});");
                    break;
                case PassKind.Copy:
                    w.Line($"// Nothing to do: the group's output buffer is its input ({y}).");
                    break;
            }

            w.Line();
        }

        w.Close();
        w.Line();
    }

    private static void WriteGroupBackward(CodeWriter w, PipelineModel m, GroupPlan g)
    {
        GroupBuffers r = m.Buffers.Groups[g.Index];
        string z = r.Z;
        int i = g.Index, c = g.Channels, s = g.Spatial;
        bool op = g.Op is not null;
        w.Line($"// Group {i} backward: {g.Describe()}, gradient {g.Output} -> {g.Input}.");
        w.Open($"private void G{i}_Backward(int n, ref float dy, ref float dx, bool wantInput)");
        w.Line("ref float dz = ref dy;");
        string? normArgs = null;
        foreach (Pass pass in g.Backward)
        {
            w.Line($"// Pass: {HeaderEmitter.Describe(g, pass)}.");
            switch (pass.Kind)
            {
                case PassKind.Elementwise when pass.Has(StageKind.AddGradient):
                    WriteAddBackward(w, m, g, r, pass);
                    break;
                case PassKind.Anchor when g.Anchor == AnchorKind.Concat:
                    int savedLength = g.OutLength - g.InLength;
                    w.Line($"Norm.SplitSamples(ref dy, {g.InLength}, {savedLength}, ref dx, wantInput, ref _gradSave{g.Branch!.Slot}[0], n);");
                    break;
                case PassKind.Elementwise when pass.Has(StageKind.NormReductions):
                    WriteNormReductions(w, m, g, r, "dy", channel: NormReductionHead(w, m, g, pass));
                    break;
                case PassKind.Own:
                    BatchNormLayer norm = g.Norm!;
                    if (!op)
                    {
                        w.Open("if (!wantInput)");
                        w.Line("return;");
                        w.Close();
                    }

                    string gamma = Data(null, norm, "Weight", norm.Affine);
                    string target = op ? $"ref {r.GradU}[0]" : "ref dx";
                    w.Line($"long count = (long)n * {s};");
                    if (op && g.Conv is { } grid && TrainingConv.OnGrid(grid))
                    {
                        // The conv's Backward forms dZ from dU as it puts it on its grid: no pass over dZ here.
                        w.Line("// Formed by the Conv2d's Backward as dZ goes onto its grid.");
                        string du = g.PooledSavedGradient ? $"_gradPool{i}" : TrainingNormFusion.DuInSavedGradient(m.Groups, g) ? $"_gradSave{g.Branch!.Slot}" : r.GradU;
                        w.Line($"dz = ref {du}[0];");
                        normArgs = $"{z}, {gamma}, _mean{i}, _invStd{i}, _sum{i}, _sumSq{i}, count";
                        break;
                    }

                    w.Line($"TrainingPasses.BackwardApply(ref {r.GradU}[0], ref {z}[0], n, {c}, {s}, {gamma}, _mean{i}, _invStd{i}, _sum{i}, _sumSq{i}, count, {target});");
                    w.Line(op ? $"dz = ref {r.GradU}[0];" : "return;");
                    break;
                case PassKind.Elementwise when op:
                    w.Line($"TrainingPasses.Backward({g.Operator.New()}, ref dy, ref {z}[0], ref {r.GradU}[0], n, {g.OutLength});");
                    w.Line($"dz = ref {r.GradU}[0];");
                    break;
                case PassKind.Elementwise:
                    w.Open("if (wantInput)");
                    w.Line($"TrainingPasses.Backward({g.Operator.New()}, ref dy, ref {z}[0], ref dx, n, {g.OutLength});");
                    w.Close();
                    break;
                case PassKind.Copy:
                    w.Open("if (wantInput)");
                    w.Line($"Norm.Copy(ref dy, ref dx, n * {g.InLength});");
                    w.Close();
                    break;
                case PassKind.Anchor when g.Anchor == AnchorKind.Standalone:
                    StandaloneEmitter.Backward(w, m, g, r.Input, z);
                    break;
                case PassKind.Anchor when g.Conv is not null && TrainingConv.OnGrid(g.Conv):
                    WriteGridBackward(w, m, g, r, pass, normArgs);
                    break;
                case PassKind.Anchor when g.Conv is not null:
                    WriteConvBackward(w, m, g, r, pass);
                    break;
                case PassKind.Anchor:
                    LinearEmitter.Backward(w, g, pass, r, Field(g.Op!, "Weight") + ".Data");
                    break;
            }

            w.Line();
        }

        w.Close();
        w.Line();
    }
}
