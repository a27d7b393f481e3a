using System.Linq;
using FusedOps.Generator.Model;
using FusedOps.Generator.Plan;

namespace FusedOps.Generator.Emit;

/// <summary>
/// SwitchableNorm (through <c>SwitchableNormKernel</c>: statistics, then normalise + affine + activation;
/// backward: activation derivative + reductions, then the input gradient) and the cosine-normalised Linear
/// (through <c>CosineLinear</c>: the Linear GEMM with its output scaled by 1/(‖w_o‖·‖x_s‖)).
/// </summary>
internal static partial class StandaloneEmitter
{
    private static bool ExtraTrainingFields(CodeWriter w, GroupPlan g)
    {
        int i = g.Index;
        switch (g.Op)
        {
            case SwitchableNormLayer sn:
                w.Line($"private readonly SwitchableNormKernel _switchable{i} = new({g.Input.C}, {g.Input.Spatial}, {Literal.Float(sn.Epsilon)}, {Literal.Float(sn.Momentum)});");
                return true;
            case CosineLinearLayer:
                w.Line($"private readonly float[] _cosInvW{i} = new float[{g.OutLength}];");
                w.Line($"private float[] _cosInvX{i} = Array.Empty<float>();");
                w.Line($"private float[] _cosT{i} = Array.Empty<float>();");
                return true;
            default:
                return false;
        }
    }

    private static bool ExtraForward(CodeWriter w, GroupPlan g, string x, string y)
    {
        int i = g.Index;
        switch (g.Op)
        {
            case SwitchableNormLayer sn:
                w.Line($"var act = {g.Operator.New()};");
                w.Line($"_switchable{i}.Forward(act, ref {x}[0], ref {y}[0], n, {Switchable(sn, "Data")}, {Tensor(sn, "RunningMean")}.Data, {Tensor(sn, "RunningVar")}.Data, true);");
                return true;
            case CosineLinearLayer cosine:
                string weight = Tensor(cosine, "Weight");
                Grow(w, $"_cosInvX{i}", "float", "n");
                w.Line($"CosineLinear.InverseRowNorms(ref {weight}.Data[0], {g.OutLength}, {g.InLength}, _cosInvW{i});");
                w.Line($"CosineLinear.Forward(ref {x}[0], n, ref {weight}.Data[0], {g.OutLength}, {g.InLength}, _cosInvW{i}, _cosInvX{i}, ref {y}[0]);");
                return true;
            default:
                return false;
        }
    }

    private static bool ExtraBackward(CodeWriter w, GroupPlan g, string x, string z)
    {
        int i = g.Index;
        switch (g.Op)
        {
            case SwitchableNormLayer sn:
                // γ, β and the mixing logits take their gradients even when the input gradient is not wanted.
                w.Line($"var act = {g.Operator.New()};");
                w.Line($"_switchable{i}.Backward(act, ref dy, ref {x}[0], ref dx, wantInput, {Tensor(sn, "Weight")}.Data, {Switchable(sn, "Grad")});");
                return true;
            case CosineLinearLayer cosine:
                string weight = Tensor(cosine, "Weight");
                Grow(w, $"_cosT{i}", "float", $"n * {g.OutLength}");
                w.Line($"CosineLinear.Backward(ref dy, ref {x}[0], ref {z}[0], n, ref {weight}.Data[0], {g.OutLength}, {g.InLength}, _cosInvW{i}, _cosInvX{i},");
                w.Line($"    ref {weight}.Grad[0], ref dx, wantInput, _cosT{i});");
                return true;
            default:
                return false;
        }
    }

    /// <summary>Inference fields and constructor lines: the layers' tensors, copied when frozen so the frozen model never changes.</summary>
    private static void ExtraInferenceFields(CodeWriter w, PipelineModel m)
    {
        foreach (GroupPlan g in m.Groups)
        {
            foreach (string name in InferenceTensors(g))
            {
                w.Line($"private readonly float[] _{Camel(name)}{g.Index};");
            }

            if (g.Op is CosineLinearLayer)
            {
                w.Line($"private readonly float[] _cosInvW{g.Index} = new float[{g.OutLength}];");
            }
        }
    }

    private static void ExtraInferenceConstructor(CodeWriter w, PipelineModel m)
    {
        foreach (GroupPlan g in m.Groups.Where(g => InferenceTensors(g).Length > 0))
        {
            w.Line($"// Group {g.Index}: {g.Describe()}.");
            string[] names = InferenceTensors(g);
            foreach (string name in names)
            {
                w.Line($"_{Camel(name)}{g.Index} = model.{Tensor(g.Op!, name)}.Data;");
            }

            w.Open("if (fold)");
            foreach (string name in names)
            {
                w.Line($"_{Camel(name)}{g.Index} = (float[])_{Camel(name)}{g.Index}.Clone();");
            }

            w.Close();
            if (g.Op is CosineLinearLayer)
            {
                w.Line($"CosineLinear.InverseRowNorms(ref _weight{g.Index}[0], {g.OutLength}, {g.InLength}, _cosInvW{g.Index});");
            }
        }
    }

    private static bool ExtraInfer(CodeWriter w, GroupPlan g)
    {
        int i = g.Index;
        switch (g.Op)
        {
            case SwitchableNormLayer sn:
                w.Line("// A kernel per call holds this call's statistics, so concurrent calls do not share them.");
                w.Line($"var kernel = new SwitchableNormKernel({g.Input.C}, {g.Input.Spatial}, {Literal.Float(sn.Epsilon)}, {Literal.Float(sn.Momentum)});");
                w.Line($"var act = {g.Operator.New()};");
                w.Line($"kernel.Forward(act, ref x, ref y, m, _weight{i}, _bias{i}, _meanWeight{i}, _varWeight{i}, _runningMean{i}, _runningVar{i}, false);");
                return true;
            case CosineLinearLayer:
                w.Line("float[] inverseInputNorms = CallBuffers.Rent(m);");
                w.Line($"CosineLinear.Forward(ref x, m, ref _weight{i}[0], {g.OutLength}, {g.InLength}, _cosInvW{i}, inverseInputNorms, ref y);");
                w.Line("CallBuffers.Return(inverseInputNorms);");
                return true;
            default:
                return false;
        }
    }

    private static string? ExtraDescribe(GroupPlan g, bool backward)
    {
        string act = g.Activation is null ? string.Empty : $" + {g.Activation.Name}";
        return g.Op switch
        {
            SwitchableNormLayer when backward => $"SwitchableNorm backward: {g.Activation?.Name ?? "identity"}' + reductions, then input gradient (2 passes)",
            SwitchableNormLayer => $"SwitchableNorm: IN/LN/BN statistics, then normalise + affine{act} (2 passes)",
            CosineLinearLayer when backward => "cosine Linear backward: scaled gradient, dW and dX GEMMs with their rank-one corrections",
            CosineLinearLayer => "cosine Linear: GEMM, output scaled by 1/(|w|·|x|)",
            _ => null,
        };
    }

    private static string[] InferenceTensors(GroupPlan g) => g.Op switch
    {
        SwitchableNormLayer => new[] { "Weight", "Bias", "MeanWeight", "VarWeight", "RunningMean", "RunningVar" },
        CosineLinearLayer => new[] { "Weight" },
        _ => System.Array.Empty<string>(),
    };

    private static string Switchable(SwitchableNormLayer sn, string member) =>
        string.Join(", ", new[] { "Weight", "Bias", "MeanWeight", "VarWeight" }.Select(t => $"{Tensor(sn, t)}.{member}"));

    private static string Camel(string name) => char.ToLowerInvariant(name[0]) + name.Substring(1);

    private static string Tensor(Layer l, string name) => TrainingEmitter.Field(l, name);
}
