using System.Collections.Generic;
using FusedOps.Generator.Model;

namespace FusedOps.Generator.Plan;

/// <summary>
/// One activation: its runtime operator struct (<c>FusedOps.Kernels.{Operator}</c>, an
/// <c>IActivationOperator</c> with scalar and vector <c>Invoke</c>/<c>Backward</c>). Its arguments, their
/// defaults and ranges are its entry in <c>LayerFacts</c>; the struct's constructor takes the float ones
/// in that order. Adding an activation is: the attribute, its LayerFacts entry, the operator struct, one
/// entry here, the reference, tests.
/// </summary>
internal sealed class ActivationEntry
{
    public ActivationEntry(string name, string @operator)
    {
        Name = name;
        Operator = @operator;
    }

    public string Name { get; }

    public string Operator { get; }
}

/// <summary>The activations the generator emits. Others in API.md are parsed and reported as not yet generated.</summary>
internal static class ActivationTable
{
    /// <summary>
    /// <c>[GELU(Approximate = true)]</c>: the tanh form is another operator, so the reader names the
    /// layer by its form (a bool argument cannot be passed on as a float).
    /// </summary>
    public const string GeluTanh = "GELU(Approximate)";

    private static readonly Dictionary<string, ActivationEntry> s_entries = new()
    {
        ["Identity"] = new("Identity", "IdentityOperator"),
        ["ReLU"] = new("ReLU", "ReluOperator"),
        ["LeakyReLU"] = new("LeakyReLU", "LeakyReluOperator"),
        ["HardTanh"] = new("HardTanh", "HardTanhOperator"),
        ["ELU"] = new("ELU", "EluOperator"),
        ["SELU"] = new("SELU", "SeluOperator"),
        ["GELU"] = new("GELU", "GeluOperator"),
        [GeluTanh] = new(GeluTanh, "GeluTanhOperator"),
        ["Sigmoid"] = new("Sigmoid", "SigmoidOperator"),
        ["Tanh"] = new("Tanh", "TanhOperator"),
        ["ArcTan"] = new("ArcTan", "ArcTanOperator"),
        ["Softsign"] = new("Softsign", "SoftsignOperator"),
        ["SiLU"] = new("SiLU", "SiluOperator"),
        ["Swish"] = new("Swish", "SwishOperator"),
        ["Mish"] = new("Mish", "MishOperator"),
        ["Softplus"] = new("Softplus", "SoftplusOperator"),
        ["HardSigmoid"] = new("HardSigmoid", "HardSigmoidOperator"),
        ["HardSwish"] = new("HardSwish", "HardSwishOperator"),
        ["Isru"] = new("Isru", "IsruOperator"),
        ["Isrlu"] = new("Isrlu", "IsrluOperator"),
        ["SquareNonlinearity"] = new("SquareNonlinearity", "SquareNonlinearityOperator"),
        ["BinaryStep"] = new("BinaryStep", "BinaryStepOperator"),
    };

    public static bool TryGet(string name, out ActivationEntry entry) => s_entries.TryGetValue(name, out entry!);

    /// <summary>The operator struct for <paramref name="layer"/>; <c>IdentityOperator</c> when there is no activation.</summary>
    public static ActivationOp Operator(ActivationLayer? layer) =>
        layer is not null && TryGet(layer.Name, out ActivationEntry entry)
            ? new ActivationOp(layer.Name, entry.Operator, layer.Arguments)
            : new ActivationOp("Identity", "IdentityOperator", EquatableArray<float>.Empty);
}
