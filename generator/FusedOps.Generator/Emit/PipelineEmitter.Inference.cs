using System.Linq;
using FusedOps.Generator.Model;

namespace FusedOps.Generator.Emit;

/// <summary>Inference: Infer (current parameters), Freeze and the immutable, thread-safe Frozen model.</summary>
internal static partial class PipelineEmitter
{
    private static void WriteInference(CodeWriter w, Context e)
    {
        string type = e.Model.TypeName;
        w.Line("/// <summary>Inference (eval mode): running statistics, current parameters. Each Conv2d/Linear + BatchNorm + activation group is one pass.</summary>");
        w.Line(GeneratedCode);
        w.Open("public void Infer(global::System.ReadOnlySpan<float> input, global::System.Span<float> output, int batchSize)");
        w.Line("CheckBatch(batchSize, input.Length, output.Length);");
        w.Line("RunInference(input, output, batchSize, new InferenceState(this, fold: false));");
        w.Close();
        w.Line();
        w.Line("/// <summary>An immutable inference model with BatchNorm folded into the preceding Conv2d/Linear weights; safe to call from many threads.</summary>");
        w.Line(GeneratedCode);
        w.Line("public Frozen Freeze() => new Frozen(new InferenceState(this, fold: true));");
        w.Line();

        w.Line($"/// <summary>Immutable inference model of <see cref=\"{type}\"/>: folded weights, one fused pass per group; any number of threads may call <see cref=\"Infer\"/> at once.</summary>");
        w.Line(GeneratedCode);
        w.Open($"public sealed class Frozen : {R}.IInferenceModel");
        w.Line("private readonly InferenceState _state;");
        w.Line();
        w.Line("internal Frozen(InferenceState state) => _state = state;");
        w.Line();
        w.Line($"int {R}.IInferenceModel.InputLength => InputLength;");
        w.Line();
        w.Line($"int {R}.IInferenceModel.OutputLength => OutputLength;");
        w.Line();
        w.Line("/// <summary>Inference on <paramref name=\"batchSize\"/> samples; thread-safe.</summary>");
        w.Open("public void Infer(global::System.ReadOnlySpan<float> input, global::System.Span<float> output, int batchSize)");
        w.Line("CheckBatch(batchSize, input.Length, output.Length);");
        w.Line("RunInference(input, output, batchSize, _state);");
        w.Close();
        w.Close();
        w.Line();

        WriteInferenceState(w, e);
        WriteRunInference(w, e);
        foreach (GroupView g in e.Groups)
        {
            WriteGroupInfer(w, g);
        }
    }

    private static void WriteInferenceState(CodeWriter w, Context e)
    {
        w.Line("/// <summary>Weights and per-channel scale/shift for inference: BatchNorm's running statistics and the op's bias, optionally folded into the weights.</summary>");
        w.Line("[global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Never)]");
        w.Open("internal sealed class InferenceState");
        foreach (GroupView g in e.Groups)
        {
            if (g.Op is not null)
            {
                w.Line($"public readonly float[] W{g.Index};");
            }

            if (g.Op is not null || g.Norm is not null)
            {
                w.Line($"public readonly float[] Scale{g.Index} = new float[{g.Channels}];");
                w.Line($"public readonly float[] Shift{g.Index} = new float[{g.Channels}];");
            }
        }

        w.Line();
        w.Open($"public InferenceState({e.Model.TypeName} model, bool fold)");
        foreach (GroupView g in e.Groups)
        {
            BatchNormLayer? bn = g.Norm;
            if (g.Op is null && bn is null)
            {
                continue;
            }

            string gamma = bn is not null && bn.Affine ? $"model._p{bn.Index}Weight.Data" : "global::System.ReadOnlySpan<float>.Empty";
            string beta = bn is not null && bn.Affine ? $"model._p{bn.Index}Bias.Data" : "global::System.ReadOnlySpan<float>.Empty";
            string mean = bn is not null ? $"model._p{bn.Index}RunningMean.Data" : "global::System.ReadOnlySpan<float>.Empty";
            string variance = bn is not null ? $"model._p{bn.Index}RunningVar.Data" : "global::System.ReadOnlySpan<float>.Empty";
            string eps = bn is not null ? CodeWriter.F(bn.Epsilon) : "0f";
            string bias = g.HasBias ? $"model._p{g.Op!.Index}Bias.Data" : "global::System.ReadOnlySpan<float>.Empty";
            w.Line($"global::FusedOps.Kernels.Norm.EvalScaleShift({gamma}, {beta}, {mean}, {variance}, {eps}, {bias}, Scale{g.Index}, Shift{g.Index});");
            if (g.Op is not null)
            {
                int rowLength = g.IsConv ? g.Conv!.Kc : g.InLength;
                w.Line($"W{g.Index} = model._p{g.Op.Index}Weight.Data;");
                w.Open("if (fold)");
                w.Line($"W{g.Index} = (float[])W{g.Index}.Clone();");
                w.Line($"global::FusedOps.Kernels.Norm.ScaleRows(W{g.Index}, {rowLength}, Scale{g.Index});");
                w.Line($"global::System.Array.Fill(Scale{g.Index}, 1f);");
                w.Close();
            }
        }

        w.Close();
        w.Close();
        w.Line();
    }

    private static void WriteRunInference(CodeWriter w, Context e)
    {
        w.Line("/// <summary>Runs the groups on chunks of samples so intermediate activations stay in cache; scratch comes from the shared pool, so concurrent calls do not interfere.</summary>");
        w.Open("private static void RunInference(global::System.ReadOnlySpan<float> input, global::System.Span<float> output, int n, InferenceState state)");
        w.Line("int chunk = global::System.Math.Min(n, InferChunk);");
        w.Line("var pool = global::System.Buffers.ArrayPool<float>.Shared;");
        w.Line($"float[] a = {(e.Groups.Count > 1 ? "pool.Rent(chunk * MaxInnerLength)" : "global::System.Array.Empty<float>()")};");
        w.Line($"float[] b = {(e.Groups.Count > 2 ? "pool.Rent(chunk * MaxInnerLength)" : "global::System.Array.Empty<float>()")};");
        w.Line("float[] scratch = pool.Rent(ForwardScratch);");
        w.Open("try");
        w.Open("for (int s0 = 0; s0 < n; s0 += chunk)");
        w.Line("int m = global::System.Math.Min(chunk, n - s0);");
        w.Line($"ref float x = ref {U}.Add(ref {MM}.GetReference(input), s0 * InputLength);");
        for (int i = 0; i < e.Groups.Count; i++)
        {
            GroupView g = e.Groups[i];
            string dst = g.IsLast ? $"ref {U}.Add(ref {MM}.GetReference(output), s0 * OutputLength)" : $"ref {(i % 2 == 0 ? "a" : "b")}[0]";
            w.Line($"ref float y{i} = {dst};");
            w.Line($"G{i}_Infer(ref {(i == 0 ? "x" : $"y{i - 1}")}, ref y{i}, m, state, scratch);");
        }

        w.Close();
        w.Close();
        w.Open("finally");
        if (e.Groups.Count > 1)
        {
            w.Line("pool.Return(a);");
        }

        if (e.Groups.Count > 2)
        {
            w.Line("pool.Return(b);");
        }

        w.Line("pool.Return(scratch);");
        w.Close();
        w.Close();
        w.Line();
    }

    private static void WriteGroupInfer(CodeWriter w, GroupView g)
    {
        w.Line($"/// <summary>Group {g.Index} inference: {g.Describe()}.</summary>");
        w.Open($"private static void G{g.Index}_Infer(ref float x, ref float y, int m, InferenceState state, float[] scratch)");
        int i = g.Index;
        if (g.IsConv)
        {
            w.Open("for (int s = 0; s < m; s++)");
            w.Line($"L{g.Op!.Index}_Conv(ref {U}.Add(ref x, s * {g.InLength}), ref state.W{i}[0], ref state.Scale{i}[0], ref state.Shift{i}[0], ref {U}.Add(ref y, s * {g.OutLength}), ref scratch[0], false, ref s_sinkD[0], ref s_sinkD[0]);");
            w.Close();
        }
        else if (g.IsLinear)
        {
            if (g.Norm is null && g.ActEntry is null)
            {
                w.Line($"global::FusedOps.Kernels.LinearKernels.MatMulNT(ref x, m, ref state.W{i}[0], {g.OpOut}, {g.InLength}, ref y, state.Shift{i});");
            }
            else
            {
                w.Line($"global::FusedOps.Kernels.LinearKernels.MatMulNT(ref x, m, ref state.W{i}[0], {g.OpOut}, {g.InLength}, ref y);");
                w.Line($"G{i}_AffineAct(ref y, ref y, m, ref state.Scale{i}[0], ref state.Shift{i}[0]);");
            }
        }
        else if (g.Norm is not null)
        {
            w.Line($"G{i}_AffineAct(ref x, ref y, m, ref state.Scale{i}[0], ref state.Shift{i}[0]);");
        }
        else if (g.IsIdentity)
        {
            w.Line($"global::FusedOps.Kernels.Norm.Copy(ref x, ref y, m * {g.InLength});");
        }
        else
        {
            w.Line($"G{i}_Act(ref x, ref y, m, ref x, ref x);");
        }

        w.Close();
        w.Line();
    }

    private static void WriteKernels(CodeWriter w, Context e)
    {
        foreach (GroupView g in e.Groups)
        {
            if (g.IsConv)
            {
                ConvEmitter.WriteTables(w, g);
                ConvEmitter.WriteForward(w, g);
                ConvEmitter.WriteBackward(w, g);
            }

            if (g.IsLinear || g.Norm is not null)
            {
                PassEmitter.WriteAffineAct(w, g, affine: true);
            }

            if (g.Norm is not null)
            {
                PassEmitter.WriteBackwardReduce(w, g);
            }

            if (g.ActEntry is not null && g.Norm is null)
            {
                PassEmitter.WriteAffineAct(w, g, affine: false);

                PassEmitter.WriteActBackward(w, g);
            }
        }
    }
}
