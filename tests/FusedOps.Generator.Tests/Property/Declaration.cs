using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace FusedOps.Generator.Tests.Property;

/// <summary>One attribute argument: positional when <see cref="Name"/> is null. <see cref="Value"/> is an int, a float or a bool.</summary>
internal sealed record Arg(string? Name, object Value)
{
    /// <summary>The value as a C# literal: <c>int.MaxValue</c>, <c>-3</c>, <c>float.NaN</c>, <c>1E-30f</c>, <c>-0f</c>, <c>true</c>.</summary>
    public string Literal => Value switch
    {
        int i when i == int.MaxValue => "int.MaxValue",
        int i when i == int.MinValue => "int.MinValue",
        int i => i.ToString(CultureInfo.InvariantCulture),
        float f when float.IsNaN(f) => "float.NaN",
        float f when float.IsPositiveInfinity(f) => "float.PositiveInfinity",
        float f when float.IsNegativeInfinity(f) => "float.NegativeInfinity",
        float f when f == 0f && float.IsNegative(f) => "-0f",
        float f => f.ToString("R", CultureInfo.InvariantCulture) + "f",
        bool b => b ? "true" : "false",
        _ => throw new InvalidOperationException($"Unexpected argument value {Value}."),
    };

    public override string ToString() => Name is null ? Literal : $"{Name} = {Literal}";
}

/// <summary>One layer attribute as written on the class: <c>[Name(args)]</c>.</summary>
internal sealed record LayerDecl(string Name, IReadOnlyList<Arg> Args)
{
    public int Int(string name, int fallback) => Args.FirstOrDefault(a => a.Name == name)?.Value is int i ? i : fallback;

    public int Positional(int index) => Args.Where(a => a.Name is null).ElementAtOrDefault(index)?.Value is int i ? i : 0;

    public float Float(string name, float fallback) => Args.FirstOrDefault(a => a.Name == name)?.Value is float f ? f : fallback;

    public override string ToString() => Args.Count == 0 ? $"[{Name}]" : $"[{Name}({string.Join(", ", Args)})]";
}

/// <summary>
/// A random pipeline declaration: <c>[FusedPipeline(shape)]</c>, then the layers in order, on
/// <c>public partial class Net</c> in namespace <c>PropertyCases</c>.
/// </summary>
internal sealed record Declaration(IReadOnlyList<int> InputShape, IReadOnlyList<LayerDecl> Layers)
{
    public const string TypeName = "PropertyCases.Net";

    /// <summary>The whole source file, documented so that a clean pipeline compiles without a warning.</summary>
    public string ToSource()
    {
        var s = new StringBuilder();
        s.Append("using FusedOps;\n\nnamespace PropertyCases;\n\n/// <summary>A generated property-test pipeline.</summary>\n");
        s.Append(Attributes);
        s.Append("public partial class Net\n{\n}\n");
        return s.ToString();
    }

    /// <summary>The attribute lines, one per line: what a failing case prints and what a regression test pastes.</summary>
    public string Attributes
    {
        get
        {
            var s = new StringBuilder();
            s.Append("[FusedPipeline(").Append(string.Join(", ", InputShape.Select(d => new Arg(null, d).Literal))).Append(")]\n");
            foreach (LayerDecl layer in Layers)
            {
                s.Append(layer).Append('\n');
            }

            return s.ToString();
        }
    }

    public override string ToString() => "\n" + Attributes;
}
