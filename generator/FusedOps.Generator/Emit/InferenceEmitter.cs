using System.Linq;
using FusedOps.Generator.Model;
using FusedOps.Generator.Plan;

namespace FusedOps.Generator.Emit;

/// <summary>
/// The generated inference model <c>{Flat}_Inference</c>: weights and per-channel scale/shift taken from
/// the training model (BatchNorm's running statistics and the op's bias, folded into the weights when
/// frozen), and Infer, which runs each group's one planned pass on chunks of samples.
/// </summary>
internal static class InferenceEmitter
{
    public static string Write(PipelineModel m)
    {
        CodeWriter w = KernelFile.Open(m, "inference model");
        w.Summary($"Inference of {m.FullName}: immutable after construction, so any number of threads may call Infer at once.");
        KernelFile.TypeAttributes(w);
        w.Open($"internal sealed class {m.InferenceType}");
        BufferPlan b = m.Buffers;
        w.Line($"private const int InferChunk = {b.InferChunk};");
        w.Line($"private const int MaxInnerLength = {b.MaxInnerLength};");
        w.Line($"private const int Scratch = {b.ForwardScratch};");
        if (m.Groups.Any(g => g.Conv is not null))
        {
            w.Line($"private static readonly double[] s_sink = new double[{b.MaxChannels}];");
        }

        foreach (GroupPlan g in m.Groups.Where(g => (g.Op is not null || g.Norm is not null) && g.Anchor != AnchorKind.Standalone))
        {
            if (g.Op is not null)
            {
                w.Line($"private readonly float[] _w{g.Index};");
            }

            w.Line($"private readonly float[] _scale{g.Index} = new float[{g.Channels}];");
            w.Line($"private readonly float[] _shift{g.Index} = new float[{g.Channels}];");
        }

        StandaloneEmitter.InferenceFields(w, m);
        w.Line();
        WriteConstructor(w, m);
        WriteInfer(w, m);
        foreach (GroupPlan g in m.Groups)
        {
            WriteGroup(w, m, g);
        }

        w.Close();
        return KernelFile.Close(w);
    }

    private static void WriteConstructor(CodeWriter w, PipelineModel m)
    {
        w.Summary("Reads the model's weights, bias and running statistics; with <paramref name=\"fold\"/>, folds the scale into a copy of the weights.");
        w.Open($"internal {m.InferenceType}({m.TrainingType} model, bool fold)");
        StandaloneEmitter.InferenceConstructor(w, m);
        foreach (GroupPlan g in m.Groups.Where(g => (g.Op is not null || g.Norm is not null) && g.Anchor != AnchorKind.Standalone))
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
                w.Line($"_w{i} = model.{TrainingEmitter.Field(g.Op, "Weight")}.Data;");
                w.Open("if (fold)");
                w.Line($"_w{i} = (float[])_w{i}.Clone();");
                w.Line($"Norm.ScaleRows(_w{i}, {rowLength}, _scale{i});");
                w.Line($"Array.Fill(_scale{i}, 1f);");
                w.Close();
            }

        }

        w.Close();
        w.Line();
    }

    private static void WriteInfer(CodeWriter w, PipelineModel m)
    {
        int count = m.Groups.Count;
        w.Summary("Checks the arguments, then runs the groups on chunks of samples so intermediate activations stay in cache; scratch "
            + "comes from the shared pool, so concurrent calls do not interfere.");
        w.Open("internal void Infer(ReadOnlySpan<float> input, Span<float> output, int batchSize)");
        w.Line($"PipelineChecks.Batch(batchSize, input.Length, output.Length, {m.TrainingType}.InputLength, {m.TrainingType}.OutputLength);");
        w.Line("int chunk = Math.Min(batchSize, InferChunk);");
        w.Line("ArrayPool<float> pool = ArrayPool<float>.Shared;");
        w.Line($"float[] a = {(count > 1 ? "pool.Rent(chunk * MaxInnerLength)" : "Array.Empty<float>()")};");
        w.Line($"float[] b = {(count > 2 ? "pool.Rent(chunk * MaxInnerLength)" : "Array.Empty<float>()")};");
        w.Line("float[] scratch = pool.Rent(Scratch);");
        w.Open("try");
        w.Open("for (int s0 = 0; s0 < batchSize; s0 += chunk)");
        w.Line("int m = Math.Min(chunk, batchSize - s0);");
        w.Line($"ref float x = ref Unsafe.Add(ref MemoryMarshal.GetReference(input), s0 * {m.Input.Length});");
        w.Line($"ref float y = ref Unsafe.Add(ref MemoryMarshal.GetReference(output), s0 * {m.Output.Length});");
        string previous = "x";
        foreach (GroupPlan g in m.Groups)
        {
            string target = m.Buffers.InferenceOutputs[g.Index];
            string y = target == "output" ? "y" : target + "[0]";
            w.Line($"G{g.Index}_Infer(ref {previous}, ref {y}, m, scratch);");
            previous = y;
        }

        w.Close();
        w.Close();
        w.Open("finally");
        if (count > 1)
        {
            w.Line("pool.Return(a);");
        }

        if (count > 2)
        {
            w.Line("pool.Return(b);");
        }

        w.Line("pool.Return(scratch);");
        w.Close();
        w.Close();
        w.Line();
    }

    private static void WriteGroup(CodeWriter w, PipelineModel m, GroupPlan g)
    {
        int i = g.Index;
        w.Line($"// Group {i} inference: {g.Describe()}, {g.Input} -> {g.Output}.");
        w.Open($"private void G{i}_Infer(ref float x, ref float y, int m, float[] scratch)");
        foreach (Pass pass in g.Inference)
        {
            w.Line($"// Pass: {HeaderEmitter.Describe(g, pass)}.");
            switch (pass.Kind)
            {
                case PassKind.Anchor when g.Anchor == AnchorKind.Standalone:
                    StandaloneEmitter.Infer(w, m, g);
                    break;
                case PassKind.Anchor when g.Conv is not null:
                    w.Line($"var act = {(pass.Has(StageKind.Activation) ? g.Operator.New() : "default(IdentityOperator)")};");
                    w.Line($"ref double sink = ref s_sink[0];");
                    w.Open("for (int s = 0; s < m; s++)");
                    w.Line($"ref float xs = ref Unsafe.Add(ref x, s * {g.InLength});");
                    w.Line($"ref float ys = ref Unsafe.Add(ref y, s * {g.OutLength});");
                    w.Line($"{m.KernelsType}.L{g.Op!.Index}_Conv(act, ref xs, ref _w{i}[0], ref _scale{i}[0], ref _shift{i}[0], ref ys, ref scratch[0], false, ref sink, ref sink);");
                    w.Close();
                    break;
                case PassKind.Anchor:
                    string bias = pass.Has(StageKind.Bias) ? $", _shift{i}" : string.Empty;
                    w.Line($"LinearKernels.MatMulNT(ref x, m, ref _w{i}[0], {g.OpOut}, {g.InLength}, ref y{bias});");
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
