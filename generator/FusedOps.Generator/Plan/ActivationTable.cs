using System.Collections.Generic;
using FusedOps.Generator.Model;

namespace FusedOps.Generator.Plan;

/// <summary>
/// One activation: its runtime operator struct (<c>FusedOps.Kernels.{Operator}</c>, an
/// <c>IActivationOperator</c> with scalar and vector <c>Invoke</c>/<c>Backward</c>), and its named
/// arguments with PyTorch's defaults, passed to the struct's constructor in this order.
/// Adding an activation is: the attribute, the operator struct, one entry here, the reference, tests.
/// </summary>
internal sealed class ActivationEntry
{
    public ActivationEntry(string name, string @operator, params (string Name, float Default)[] arguments)
    {
        Name = name;
        Operator = @operator;
        Arguments = arguments;
    }

    public string Name { get; }

    public string Operator { get; }

    public IReadOnlyList<(string Name, float Default)> Arguments { get; }
}

/// <summary>The activations the generator emits. Others in API.md are parsed and reported as not yet generated.</summary>
internal static class ActivationTable
{
    private static readonly Dictionary<string, ActivationEntry> s_entries = new()
    {
        ["Identity"] = new("Identity", "IdentityOperator"),
        ["ReLU"] = new("ReLU", "ReluOperator"),
        ["LeakyReLU"] = new("LeakyReLU", "LeakyReluOperator", ("NegativeSlope", 0.01f)),
        ["HardTanh"] = new("HardTanh", "HardTanhOperator", ("Min", -1f), ("Max", 1f)),
    };

    public static bool TryGet(string name, out ActivationEntry entry) => s_entries.TryGetValue(name, out entry!);

    /// <summary>The operator struct for <paramref name="layer"/>; <c>IdentityOperator</c> when there is no activation.</summary>
    public static ActivationOp Operator(ActivationLayer? layer) =>
        layer is not null && TryGet(layer.Name, out ActivationEntry entry)
            ? new ActivationOp(layer.Name, entry.Operator, layer.Arguments)
            : new ActivationOp("Identity", "IdentityOperator", EquatableArray<float>.Empty);
}
