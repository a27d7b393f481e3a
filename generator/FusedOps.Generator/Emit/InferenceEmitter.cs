using System.Linq;
using FusedOps.Generator.Model;
using FusedOps.Generator.Plan;

namespace FusedOps.Generator.Emit;

/// <summary>
/// The generated inference model <c>{Flat}_Inference</c>: weights and per-channel scale/shift taken from
/// the training model (BatchNorm's running statistics and the op's bias, folded into the weights when
/// frozen), and Infer, which runs each group's one planned pass on chunks of samples.
/// </summary>
internal static partial class InferenceEmitter
{
    public static string Write(PipelineModel m)
    {
        CodeWriter w = KernelFile.Open(m, "inference model");
        w.Summary($"Inference of {m.FullName}: immutable after construction, so any number of threads may call Infer at once.");
        KernelFile.TypeAttributes(w);
        w.Open($"internal sealed class {m.InferenceType}");
        BufferPlan b = m.Buffers;
        w.Line($"private const int InferChunk = {b.InferChunk};");
        w.Line($"private const int BufferLength = {b.ChunkBufferLength};");
        w.Line($"private const int Scratch = {b.ForwardScratch};");
        if (m.AllGroups.Any(g => g.Conv is not null))
        {
            w.Line($"private static readonly double[] s_sink = new double[{b.MaxChannels}];");
        }

        foreach (GroupPlan g in m.AllGroups.Where(g => (g.Op is not null || g.Norm is not null) && g.Anchor != AnchorKind.Standalone))
        {
            if (g.Op is not null)
            {
                w.Line($"private readonly float[] _w{g.Index};");
                LinearEmitter.InferenceFields(w, g);
                LanesField(w, g); // InferenceEmitter.Lanes.cs
                WinogradField(w, g); // InferenceEmitter.Winograd.cs
            }

            w.Line($"private readonly float[] _scale{g.Index} = new float[{g.Channels}];");
            // A fused channel activation keeps its per-channel parameter after the shifts (ConvPlan.Channel).
            int shifts = g.FusedChannel != ChannelEpilogue.None ? 2 * g.Channels : g.Channels;
            w.Line($"private readonly float[] _shift{g.Index} = new float[{shifts}];");
        }

        StandaloneEmitter.InferenceFields(w, m);
        w.Line();
        WriteConstructor(w, m);
        WriteWarmUp(w, m);
        WriteInfer(w, m);
        foreach (GroupPlan g in m.AllGroups.Where(g => g.Inference.Count > 0))
        {
            WriteGroup(w, m, g);
            if (g.Conv is not null)
            {
                WriteConvParts(w, m, g);
            }
        }

        w.Close();
        return KernelFile.Close(w);
    }

    private static void WriteConstructor(CodeWriter w, PipelineModel m)
    {
        w.Summary("Reads the model's weights, bias and running statistics; with <paramref name=\"fold\"/>, folds the scale into a copy of the weights.");
        w.Open($"internal {m.InferenceType}({m.TrainingType} model, bool fold)");
        StandaloneEmitter.InferenceConstructor(w, m);
        foreach (GroupPlan g in m.AllGroups.Where(g => (g.Op is not null || g.Norm is not null) && g.Anchor != AnchorKind.Standalone))
        {
            BatchNormLayer? bn = g.Norm;
            int i = g.Index;
            string gamma = TrainingEmitter.Data("model.", bn, "Weight", bn is { Affine: true });
            string beta = TrainingEmitter.Data("model.", bn, "Bias", bn is { Affine: true });
            string mean = TrainingEmitter.Data("model.", bn, "RunningMean", true);
            string variance = TrainingEmitter.Data("model.", bn, "RunningVar", true);
            string bias = TrainingEmitter.Data("model.", g.Op, "Bias", g.HasBias);
            w.Line($"// Group {i}: {g.Describe()}.");
            w.Line($"float epsilon{i} = {(bn is not null ? Literal.Float(bn.Epsilon) : "0f")};");
            w.Line($"Norm.EvalScaleShift({gamma}, {beta}, {mean}, {variance}, epsilon{i}, {bias}, _scale{i}, _shift{i});");
            if (g.Op is not null)
            {
                int rowLength = g.Conv is not null ? g.Conv.Kc : g.InLength;
                w.Line($"_w{i} = {WeightFormEmitter.InferenceWeight(g)};");
                w.Open("if (fold)");
                w.Line($"_w{i} = (float[])_w{i}.Clone();");
                w.Line($"Norm.ScaleRows(_w{i}, {rowLength}, _scale{i});");
                w.Line($"CallBuffers.Fill(_scale{i}, 1f);");
                w.Close();
                LinearEmitter.InferenceConstructor(w, g);
                LanesConstructor(w, g);
                WinogradConstructor(w, g);
            }

            if (g.FusedChannel != ChannelEpilogue.None)
            {
                ChannelParameters(w, m, g);
            }

        }

        w.Close();
        w.Line();
    }

    // KernelWarmup's work: a folded model whose packings are skipped, run on zero input (one sample, then a full chunk or the
    // Linear head's batch, at most 2^20 input floats), so the JIT compiles what Infer runs while the caller builds and freezes.
    private static void WriteWarmUp(CodeWriter w, PipelineModel m)
    {
        BufferPlan plan = m.Buffers;
        var groups = m.Groups.Where(g => g.Inference.Count > 0).ToList();
        int inLength = m.Input.Length;
        int batch = HeadStart(m, groups) > 0 ? HeadChunk(plan) : plan.InferChunk;
        batch = System.Math.Max(1, System.Math.Min(batch, (1 << 20) / System.Math.Max(1, inLength)));
        string t = m.TrainingType;
        w.Summary($"The warm-up thread's work (KernelWarmup, started by the training model's constructor when KernelOptions.WarmUp is on): the folded model of <paramref name=\"model\"/> (the warm-up's own, weights left zero) with its weight packings skipped, run on zero input on 1 and {batch} samples, so the JIT compiles what Infer runs before the first call needs it.");
        w.Open($"internal static void WarmUp({t} model)");
        w.Line($"var inference = new {m.InferenceType}(model, fold: true);");
        w.Line($"float[] input = new float[{batch} * {t}.InputLength];");
        w.Line($"float[] output = new float[{batch} * {t}.OutputLength];");
        w.Line($"inference.Infer(input.AsSpan(0, {t}.InputLength), output.AsSpan(0, {t}.OutputLength), 1);");
        if (batch > 1)
        {
            w.Line($"inference.Infer(input, output, {batch});");
        }

        w.Close();
        w.Line();
    }

    private static void WriteInfer(CodeWriter w, PipelineModel m)
    {
        BufferPlan plan = m.Buffers;
        var groups = m.Groups.Where(g => g.Inference.Count > 0).ToList();
        int head = HeadStart(m, groups);
        w.Summary("Checks the arguments, then runs the groups on chunks of samples so intermediate activations stay in cache; buffers "
            + "and scratch are the calling thread's own, so concurrent calls do not interfere.");
        if (head > 0)
        {
            w.Line($"/// <remarks>The Linear head (group {groups[head].Index} on) runs on {HeadChunk(plan)} samples at a time, gathered from chunks of {plan.InferChunk}: its weights are read once per {HeadChunk(plan)} samples, and each row's sums are those of any chunk.</remarks>");
        }

        w.Open("internal void Infer(ReadOnlySpan<float> input, Span<float> output, int batchSize)");
        w.Line($"PipelineChecks.Batch(batchSize, input.Length, output.Length, {m.TrainingType}.InputLength, {m.TrainingType}.OutputLength);");
        w.Line("int chunk = Math.Min(batchSize, InferChunk);");
        if (head > 0)
        {
            w.Line($"int headChunk = Math.Min(batchSize, {HeadChunk(plan)});");
        }

                for (int k = 0; k < plan.ChunkBuffers; k++)
        {
            w.Line($"float[] buf{k} = CallBuffers.Rent(chunk * BufferLength);");
        }

        int headLength = head > 0 ? groups.Skip(head).SelectMany(g => new[] { g.InLength, g.OutLength }).Max() : 0;
        if (head > 0)
        {
            w.Line($"float[] head0 = CallBuffers.Rent(headChunk * {headLength});");
            w.Line($"float[] head1 = CallBuffers.Rent(headChunk * {headLength});");
        }

        // The call's scratch (a sample's padded input, read by every part) on a 64-byte boundary, kept per thread: no rent per call.
        w.Line("ref float scratch = ref ConvParallel.CallScratch(Scratch);");
        w.Open("try");
        string Where(int group) => group < 0 ? "x" : plan.InferenceOutputs[group] == "y" ? "y" : plan.InferenceOutputs[group] + "[0]";
        string Call(GroupPlan g, string from, string to, string count)
        {
            string branch = string.Empty;
            if (g.Branch is { } use)
            {
                branch = $"ref {Where(use.From)}, ";
                if (use.ProjectionGroup >= 0)
                {
                    branch += $"ref {Where(use.ProjectionGroup)}, ";
                }
            }

            return $"G{g.Index}_Infer(ref {from}, {branch}ref {to}, {count}, ref scratch);";
        }

        if (head > 0)
        {
            w.Open("for (int h0 = 0; h0 < batchSize; h0 += headChunk)");
            w.Line("int n = Math.Min(headChunk, batchSize - h0);");
            w.Open("for (int s0 = h0; s0 < h0 + n; s0 += chunk)");
            w.Line("int m = Math.Min(chunk, h0 + n - s0);");
            w.Line($"ref float x = ref Unsafe.Add(ref MemoryMarshal.GetReference(input), s0 * {m.Input.Length});");
            w.Line($"ref float features = ref Unsafe.Add(ref head0[0], (s0 - h0) * {groups[head].InLength});");
            for (int k = 0; k < head; k++)
            {
                GroupPlan g = groups[k];
                w.Line(Call(g, Where(g.Index - 1), k == head - 1 ? "features" : Where(g.TakesNext ? g.Index + 1 : g.Index), "m"));
            }

            w.Close();
            w.Line();
            w.Line($"ref float y = ref Unsafe.Add(ref MemoryMarshal.GetReference(output), h0 * {m.Output.Length});");
            for (int k = head; k < groups.Count; k++)
            {
                string from = (k - head) % 2 == 0 ? "head0[0]" : "head1[0]", to = k == groups.Count - 1 ? "y" : (k - head) % 2 == 0 ? "head1[0]" : "head0[0]";
                w.Line(Call(groups[k], from, to, "n"));
            }

            w.Close();
        }
        else
        {
            w.Open("for (int s0 = 0; s0 < batchSize; s0 += chunk)");
            w.Line("int m = Math.Min(chunk, batchSize - s0);");
            w.Line($"ref float x = ref Unsafe.Add(ref MemoryMarshal.GetReference(input), s0 * {m.Input.Length});");
            w.Line($"ref float y = ref Unsafe.Add(ref MemoryMarshal.GetReference(output), s0 * {m.Output.Length});");
            foreach (GroupPlan g in groups)
            {
                // A conv group that runs the next group's pool or channel activation in its epilogue writes that group's output.
                w.Line(Call(g, Where(g.Index - 1), Where(g.TakesNext ? g.Index + 1 : g.Index), "m"));
            }

            w.Close();
        }

        w.Close();
        w.Open("finally");
        for (int k = 0; k < plan.ChunkBuffers; k++)
        {
            w.Line($"CallBuffers.Return(buf{k});");
        }

        if (head > 0)
        {
            w.Line("CallBuffers.Return(head0);");
            w.Line("CallBuffers.Return(head1);");
        }

        w.Close();
        w.Close();
        w.Line();
    }

    /// <summary>Samples the Linear head runs on at once: whole chunks, up to 32 samples.</summary>
    private static int HeadChunk(BufferPlan plan) => plan.InferChunk * System.Math.Max(1, 32 / plan.InferChunk);

    /// <summary>
    /// Where the Linear head starts among the groups Infer runs (0: none): the groups from there on are Linear or elementwise ones
    /// with no saved tensor, after at least one convolution, the last writing the caller's output, and a chunk of under 17 samples
    /// (a head batch of more chunks than one). The head then runs on <see cref="HeadChunk"/> samples at a time, not a chunk: a
    /// Linear layer's weights are read from memory once per batch, and its rows' sums do not depend on how many rows it has.
    /// </summary>
    private static int HeadStart(PipelineModel m, System.Collections.Generic.List<GroupPlan> groups)
    {
        BufferPlan plan = m.Buffers;
        if (HeadChunk(plan) <= plan.InferChunk || groups.Count < 2)
        {
            return 0;
        }

        static bool InHead(GroupPlan g) => g.Conv is null && g.Branch is null && g.Anchor is AnchorKind.Linear or AnchorKind.Elementwise;
        int start = groups.Count;
        while (start > 0 && InHead(groups[start - 1]))
        {
            start--;
        }

        GroupPlan last = groups[groups.Count - 1];
        bool toCaller = plan.InferenceOutputs[last.TakesNext ? last.Index + 1 : last.Index] == "y";
        bool convBefore = groups.Take(start).Any(g => g.Conv is not null);
        bool linear = groups.Skip(start).Any(g => g.Anchor == AnchorKind.Linear);
        return start < groups.Count && start > 0 && convBefore && linear && toCaller ? start : 0;
    }

    private static void WriteGroup(CodeWriter w, PipelineModel m, GroupPlan g)
    {
        int i = g.Index;
        w.Line($"// Group {i} inference: {g.Describe()}, {g.Input} -> {g.Output}.");
        BranchUse? use = g.Branch;
        string branch = use is null ? string.Empty : use.ProjectionGroup >= 0 ? "ref float r, ref float p, " : "ref float r, ";
        w.Open($"private void G{i}_Infer(ref float x, {branch}ref float y, int m, ref float scratch)");
        if (use is not null && use.ProjectionGroup >= 0)
        {
            w.Line($"// The saved tensor \"{use.Name}\" through its projection (group {use.ProjectionGroup}) first.");
            w.Line($"G{use.ProjectionGroup}_Infer(ref r, ref p, m, ref scratch);");
            w.Line("ref float res = ref p;");
            w.Line();
        }
        else if (use is not null)
        {
            w.Line("ref float res = ref r;");
        }

        foreach (Pass pass in g.Inference)
        {
            w.Line($"// Pass: {HeaderEmitter.Describe(g, pass)}.");
            switch (pass.Kind)
            {
                case PassKind.Anchor when g.Anchor == AnchorKind.Standalone:
                    StandaloneEmitter.Infer(w, m, g);
                    break;
                case PassKind.Anchor when g.Conv is not null:
                    WriteConvCall(w, g, pass);
                    break;
                case PassKind.Anchor when g.Anchor == AnchorKind.Concat:
                    w.Line($"Norm.ConcatSamples(ref x, {g.InLength}, ref res, {g.OutLength - g.InLength}, ref y, m);");
                    break;
                case PassKind.Anchor:
                    LinearEmitter.Infer(w, g, pass);
                    break;
                case PassKind.Elementwise when pass.Has(StageKind.Add) && (pass.Has(StageKind.Bias) || pass.Has(StageKind.ScaleShift)):
                    string affineSource = g.Op is not null ? "y" : "x";
                    w.Line($"var act = {g.Operator.New()};");
                    w.Line($"ActivationPass.AffineAddForward(act, ref {affineSource}, ref res, ref y, ref y, m, {g.Channels}, {g.Spatial}, ref _scale{i}[0], ref _shift{i}[0]);");
                    break;
                case PassKind.Elementwise when pass.Has(StageKind.Add):
                    string addSource = g.Op is not null ? "y" : "x";
                    w.Line($"ActivationPass.AddForward({g.Operator.New()}, ref {addSource}, ref res, ref y, ref y, m * {g.OutLength});");
                    break;
                case PassKind.Elementwise when pass.Has(StageKind.Bias) || pass.Has(StageKind.ScaleShift):
                    string source = g.Op is not null ? "y" : "x";
                    w.Line($"ActivationPass.AffineForward({g.Operator.New()}, ref {source}, ref y, m, {g.Channels}, {g.Spatial}, ref _scale{i}[0], ref _shift{i}[0]);");
                    break;
                case PassKind.Elementwise:
                    string from = g.Op is not null ? "y" : "x";
                    w.Line($"ActivationPass.Forward({g.Operator.New()}, ref {from}, ref y, m * {g.OutLength});");
                    break;
                case PassKind.Copy:
                    w.Line($"Norm.Copy(ref x, ref y, m * {g.InLength});");
                    break;
            }

            w.Line();
        }

        w.Close();
        w.Line();
    }
}
