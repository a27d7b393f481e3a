using System.Linq;
using FusedOps.Generator.Model;

namespace FusedOps.Generator.Emit;

/// <summary>Training: Forward (batch statistics), Backward (accumulating gradients) and their buffers.</summary>
internal static partial class PipelineEmitter
{
    private static void WriteTraining(CodeWriter w, Context e)
    {
        w.Line("// Training state: what Backward needs from the last Forward, sized for the largest batch seen.");
        w.Line("private int _batch;");
        w.Line("private int _capacity;");
        w.Line("private float[] _in = global::System.Array.Empty<float>();");
        w.Line("private float[] _gradA = global::System.Array.Empty<float>();");
        w.Line("private float[] _gradB = global::System.Array.Empty<float>();");
        w.Line("private float[] _gradU = global::System.Array.Empty<float>();");
        w.Line("private float[] _scratch = global::System.Array.Empty<float>();");
        foreach (GroupView g in e.Groups)
        {
            if (g.Op is not null)
            {
                w.Line($"private float[] _z{g.Index} = global::System.Array.Empty<float>();");
            }

            if (g.HasYBuffer)
            {
                w.Line($"private float[] _y{g.Index} = global::System.Array.Empty<float>();");
            }

            if (g.Norm is not null || g.IsConv)
            {
                w.Line($"private readonly double[] _sum{g.Index};");
                w.Line($"private readonly double[] _sumSq{g.Index};");
            }

            if (g.Norm is not null)
            {
                w.Line($"private readonly float[] _mean{g.Index};");
                w.Line($"private readonly float[] _invStd{g.Index};");
                w.Line($"private readonly float[] _scale{g.Index};");
                w.Line($"private readonly float[] _shift{g.Index};");
            }
        }

        w.Line();
        WriteValidation(w);
        WriteForward(w, e);
        WriteBackward(w, e);
        WriteEnsure(w, e);
        foreach (GroupView g in e.Groups)
        {
            WriteGroupForward(w, e, g);
            WriteGroupBackward(w, e, g);
        }
    }

    private static void WriteValidation(CodeWriter w)
    {
        w.Lines("""
            private static void CheckBatch(int batchSize, int inputLength, int outputLength)
            {
                if (batchSize < 1)
                {
                    throw new global::System.ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"batchSize must be at least 1, got {batchSize}.");
                }

                long expectedInput = (long)batchSize * InputLength;
                if (inputLength != expectedInput)
                {
                    throw new global::System.ArgumentException($"input has length {inputLength}, expected batchSize × InputLength = {batchSize} × {InputLength} = {expectedInput}.", "input");
                }

                long expectedOutput = (long)batchSize * OutputLength;
                if (outputLength != expectedOutput)
                {
                    throw new global::System.ArgumentException($"output has length {outputLength}, expected batchSize × OutputLength = {batchSize} × {OutputLength} = {expectedOutput}.", "output");
                }
            }

            """);
    }

    private static void WriteForward(CodeWriter w, Context e)
    {
        w.Line("/// <summary>Training-mode forward pass: BatchNorm uses and updates batch statistics. Saves what <see cref=\"Backward\"/> needs.</summary>");
        w.Line(GeneratedCode);
        w.Open("public void Forward(global::System.ReadOnlySpan<float> input, global::System.Span<float> output, int batchSize)");
        w.Line("CheckBatch(batchSize, input.Length, output.Length);");
        foreach (GroupView g in e.Groups.Where(g => g.Norm is not null))
        {
            w.Open($"if ((long)batchSize * {g.Spatial} < 2)");
            w.Line($"throw new global::System.InvalidOperationException($\"BatchNorm layer {g.Norm!.Index} needs more than one value per channel in training: batchSize {{batchSize}} × {g.Spatial} values per channel = {{(long)batchSize * {g.Spatial}}}. Use a batch of at least 2, or Infer.\");");
            w.Close();
        }

        w.Line("EnsureTraining(batchSize);");
        w.Line("_batch = 0;");
        w.Line("input.CopyTo(_in);");
        foreach (GroupView g in e.Groups)
        {
            w.Line($"G{g.Index}_Forward(batchSize);");
        }

        w.Line($"new global::System.ReadOnlySpan<float>({e.OutBuffer(e.Groups[e.Groups.Count - 1])}, 0, batchSize * OutputLength).CopyTo(output);");
        w.Line("_batch = batchSize;");
        w.Close();
        w.Line();
    }

    private static void WriteBackward(CodeWriter w, Context e)
    {
        w.Line("/// <summary>Gradient of sum(output · outputGradient) for the last <see cref=\"Forward\"/>. Parameter gradients accumulate; an empty <paramref name=\"inputGradient\"/> skips the input gradient.</summary>");
        w.Line(GeneratedCode);
        w.Open("public void Backward(global::System.ReadOnlySpan<float> outputGradient, global::System.Span<float> inputGradient)");
        w.Lines("""
            int n = _batch;
            if (n == 0)
            {
                throw new global::System.InvalidOperationException("Backward needs a successful Forward before it; none was run since construction.");
            }

            if (outputGradient.Length != n * OutputLength)
            {
                throw new global::System.ArgumentException($"outputGradient has length {outputGradient.Length}, expected batch of the last Forward × OutputLength = {n} × {OutputLength} = {n * OutputLength}.", nameof(outputGradient));
            }

            if (!inputGradient.IsEmpty && inputGradient.Length != n * InputLength)
            {
                throw new global::System.ArgumentException($"inputGradient has length {inputGradient.Length}, expected 0 (skip) or {n} × {InputLength} = {n * InputLength}.", nameof(inputGradient));
            }

            """);
        w.Line($"ref float dy = ref {MM}.GetReference(outputGradient);");
        w.Line("bool wantInput = !inputGradient.IsEmpty;");
        w.Line($"ref float userDx = ref wantInput ? ref {MM}.GetReference(inputGradient) : ref s_sink[0];");
        for (int gi = e.Groups.Count - 1; gi >= 0; gi--)
        {
            GroupView g = e.Groups[gi];
            string dx = gi == 0 ? "ref userDx" : $"ref {(gi % 2 == 1 ? "_gradA" : "_gradB")}[0]";
            string need = gi == 0 ? "wantInput" : "true";
            w.Line($"G{g.Index}_Backward(n, ref dy, {dx}, {need});");
            if (gi > 0)
            {
                w.Line($"dy = ref {(gi % 2 == 1 ? "_gradA" : "_gradB")}[0];");
            }
        }

        w.Close();
        w.Line();
    }

    private static void WriteEnsure(CodeWriter w, Context e)
    {
        w.Open("private void EnsureTraining(int n)");
        w.Open("if (_capacity >= n)");
        w.Line("return;");
        w.Close();
        w.Line("_in = new float[n * InputLength];");
        if (e.Groups.Count > 1)
        {
            w.Line("_gradA = new float[n * MaxInnerLength];");
        }

        if (e.Groups.Count > 2)
        {
            w.Line("_gradB = new float[n * MaxInnerLength];");
        }

        if (e.Groups.Any(g => g.Norm is not null || (g.Op is not null && g.Act is not null)))
        {
            w.Line("_gradU = new float[n * MaxLength];");
        }
        w.Line("_scratch = new float[global::System.Math.Max(ForwardScratch, BackwardScratch)];");
        foreach (GroupView g in e.Groups)
        {
            if (g.Op is not null)
            {
                w.Line($"_z{g.Index} = new float[n * {g.OutLength}];");
            }

            if (g.HasYBuffer)
            {
                w.Line($"_y{g.Index} = new float[n * {g.OutLength}];");
            }
        }

        w.Line("_capacity = n;");
        w.Close();
        w.Line();
    }

    private static void WriteGroupForward(CodeWriter w, Context e, GroupView g)
    {
        string x = e.InBuffer(g), z = e.ZBuffer(g), y = e.OutBuffer(g);
        int C = g.Channels, S = g.Spatial;
        w.Line($"/// <summary>Group {g.Index} training forward: {g.Describe()}.</summary>");
        w.Open($"private void G{g.Index}_Forward(int n)");
        if (g.Op is not null)
        {
            string bias = g.HasBias ? $"_p{g.Op.Index}Bias.Data" : "s_zeros";
            w.Line($"float[] w = _p{g.Op.Index}Weight.Data;");
            w.Line($"float[] b = {bias};");
            if (g.IsConv)
            {
                w.Line($"global::System.Array.Clear(_sum{g.Index});");
                w.Line($"global::System.Array.Clear(_sumSq{g.Index});");
                w.Open("for (int s = 0; s < n; s++)");
                w.Line($"L{g.Op.Index}_Conv(ref {x}[s * {g.InLength}], ref w[0], ref b[0], ref b[0], ref {z}[s * {g.OutLength}], ref _scratch[0], true, ref _sum{g.Index}[0], ref _sumSq{g.Index}[0]);");
                w.Close();
            }
            else
            {
                w.Line($"global::FusedOps.Kernels.LinearKernels.MatMulNT(ref {x}[0], n, ref w[0], {g.OpOut}, {g.InLength}, ref {z}[0]{(g.HasBias ? ", b" : string.Empty)});");
            }
        }

        if (g.Norm is not null)
        {
            BatchNormLayer bn = g.Norm;
            bool sumsFromEpilogue = g.IsConv;
            if (!sumsFromEpilogue)
            {
                w.Line($"global::System.Array.Clear(_sum{g.Index});");
                w.Line($"global::System.Array.Clear(_sumSq{g.Index});");
                w.Line($"global::FusedOps.Kernels.Norm.ChannelSums(ref {z}[0], n, {C}, {S}, _sum{g.Index}, _sumSq{g.Index});");
            }

            string offset = sumsFromEpilogue && g.HasBias ? $"_p{g.Op!.Index}Bias.Data" : "global::System.ReadOnlySpan<float>.Empty";
            w.Line($"// Batch statistics over n × {S} values per channel; running_var takes the unbiased variance.");
            w.Line($"global::FusedOps.Kernels.Norm.FinishBatchStats(_sum{g.Index}, _sumSq{g.Index}, {offset}, (long)n * {S}, {CodeWriter.F(bn.Epsilon)}, {CodeWriter.F(bn.Momentum)}, _p{bn.Index}RunningMean.Data, _p{bn.Index}RunningVar.Data, _mean{g.Index}, _invStd{g.Index});");
            w.Line($"global::FusedOps.Kernels.Norm.TrainScaleShift({Data(bn, "Weight", bn.Affine)}, {Data(bn, "Bias", bn.Affine)}, _mean{g.Index}, _invStd{g.Index}, _scale{g.Index}, _shift{g.Index});");
            w.Line($"G{g.Index}_AffineAct(ref {z}[0], ref {y}[0], n, ref _scale{g.Index}[0], ref _shift{g.Index}[0]);");
        }
        else if (g.ActEntry is not null)
        {
            w.Line($"G{g.Index}_Act(ref {z}[0], ref {y}[0], n, ref {z}[0], ref {z}[0]);");
        }

        w.Close();
        w.Line();
    }

    private static void WriteGroupBackward(CodeWriter w, Context e, GroupView g)
    {
        string x = e.InBuffer(g), z = e.ZBuffer(g);
        int C = g.Channels, S = g.Spatial;
        w.Line($"/// <summary>Group {g.Index} backward: {g.Describe()}.</summary>");
        w.Open($"private void G{g.Index}_Backward(int n, ref float dy, ref float dx, bool wantInput)");
        w.Line("ref float dz = ref dy;");
        if (g.Norm is not null)
        {
            BatchNormLayer bn = g.Norm;
            w.Line($"global::System.Array.Clear(_sum{g.Index});");
            w.Line($"global::System.Array.Clear(_sumSq{g.Index});");
            w.Line($"G{g.Index}_BackwardReduce(ref dy, ref {z}[0], ref _gradU[0], n, ref _scale{g.Index}[0], ref _shift{g.Index}[0], ref _mean{g.Index}[0], ref _invStd{g.Index}[0], ref _sum{g.Index}[0], ref _sumSq{g.Index}[0]);");
            if (bn.Affine)
            {
                w.Line($"global::FusedOps.Kernels.Norm.AddTo(_sumSq{g.Index}, _p{bn.Index}Weight.Grad);");
                w.Line($"global::FusedOps.Kernels.Norm.AddTo(_sum{g.Index}, _p{bn.Index}Bias.Grad);");
            }

            string target = g.Op is not null ? "ref _gradU[0]" : "ref dx";
            if (g.Op is null)
            {
                w.Open("if (!wantInput)");
                w.Line("return;");
                w.Close();
            }

            w.Line($"global::FusedOps.Kernels.Norm.BackwardApply(ref _gradU[0], ref {z}[0], n, {C}, {S}, {Data(bn, "Weight", bn.Affine)}, _mean{g.Index}, _invStd{g.Index}, _sum{g.Index}, _sumSq{g.Index}, (long)n * {S}, {target});");
            w.Line(g.Op is not null ? "dz = ref _gradU[0];" : "return;");
        }
        else if (g.ActEntry is not null)
        {
            if (g.Op is null)
            {
                w.Open("if (wantInput)");
                w.Line($"G{g.Index}_ActBackward(ref dy, ref {z}[0], ref dx, n);");
                w.Close();
                w.Line("return;");
            }
            else
            {
                w.Line($"G{g.Index}_ActBackward(ref dy, ref {z}[0], ref _gradU[0], n);");
                w.Line("dz = ref _gradU[0];");
            }
        }

        if (g.IsIdentity)
        {
            w.Open("if (wantInput)");
            w.Line($"global::FusedOps.Kernels.Norm.Copy(ref dy, ref dx, n * {g.InLength});");
            w.Close();
        }

        if (g.IsConv)
        {
            Layer op = g.Op!;
            string db = g.HasBias ? $"ref _p{op.Index}Bias.Grad[0]" : "ref s_sink[0]";
            w.Line($"float[] w = _p{op.Index}Weight.Data;");
            w.Line($"L{op.Index}_WeightGradStart(ref _scratch[0]);");
            w.Open("for (int s = 0; s < n; s++)");
            w.Line($"ref float dxs = ref wantInput ? ref {U}.Add(ref dx, s * {g.InLength}) : ref s_sink[0];");
            w.Line($"L{op.Index}_ConvBackward(ref {x}[s * {g.InLength}], ref {U}.Add(ref dz, s * {g.OutLength}), ref w[0], {db}, {(g.HasBias ? "true" : "false")}, ref dxs, wantInput, ref _scratch[0]);");
            w.Close();
            w.Line($"L{op.Index}_WeightGradFinish(ref _scratch[0], ref _p{op.Index}Weight.Grad[0]);");
        }
        else if (g.IsLinear)
        {
            Layer op = g.Op!;
            int outF = g.OpOut, inF = g.InLength;
            if (g.HasBias)
            {
                w.Line($"global::FusedOps.Kernels.Gemm.ColumnSums(ref dz, n, {outF}, ref _p{op.Index}Bias.Grad[0]);");
            }

            w.Line($"global::FusedOps.Kernels.Gemm.AxpyRows(ref dz, 1, {outF}, ref {x}[0], {inF}, {outF}, n, {inF}, ref _p{op.Index}Weight.Grad[0], {inF}, true);");
            w.Open("if (wantInput)");
            w.Line($"global::FusedOps.Kernels.Gemm.AxpyRows(ref dz, {outF}, 1, ref _p{op.Index}Weight.Data[0], {inF}, n, {outF}, {inF}, ref dx, {inF}, false);");
            w.Close();
        }

        w.Close();
        w.Line();
    }
}
