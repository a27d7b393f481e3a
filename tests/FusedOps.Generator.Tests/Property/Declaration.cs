using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace FusedOps.Generator.Tests.Property;

/// <summary>One attribute argument: positional when <see cref="Name"/> is null. <see cref="Value"/> is an int, a float, a bool or a branch name.</summary>
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
        string name => "\"" + name + "\"",
        _ => throw new InvalidOperationException($"Unexpected argument value {Value}."),
    };

    public override string ToString() => Name is null ? Literal : $"{Name} = {Literal}";
}

/// <summary>One layer attribute as written on the class: <c>[Name(args)]</c>.</summary>
internal sealed record LayerDecl(string Name, IReadOnlyList<Arg> Args)
{
    public int Int(string name, int fallback) => Args.FirstOrDefault(a => a.Name == name)?.Value is int i ? i : fallback;

    public int Positional(int index) => Args.Where(a => a.Name is null).ElementAtOrDefault(index)?.Value is int i ? i : 0;

    /// <summary>The branch name of a Save, Add or Concat.</summary>
    public string BranchName => Args.FirstOrDefault(a => a.Name is null)?.Value as string ?? string.Empty;

    public bool Bool(string name) => Args.FirstOrDefault(a => a.Name == name)?.Value is true;

    public float Float(string name, float fallback) => Args.FirstOrDefault(a => a.Name == name)?.Value is float f ? f : fallback;

    public override string ToString() => Args.Count == 0 ? $"[{Name}]" : $"[{Name}({string.Join(", ", Args)})]";
}

/// <summary>Where the pipeline class sits: its namespace, an optional containing type, and its own modifiers.</summary>
/// <param name="Namespace">Null for the global namespace.</param>
/// <param name="FileScoped">A file-scoped <c>namespace X;</c> rather than a block.</param>
/// <param name="Container">A containing type's declaration, such as <c>public partial struct Outer</c>, or null.</param>
/// <param name="Modifiers">The pipeline class's modifiers before <c>partial class</c>.</param>
internal sealed record Host(string? Namespace, bool FileScoped, string? Container, string Modifiers)
{
    public static Host Default { get; } = new("PropertyCases", FileScoped: true, Container: null, "public");

    /// <summary>The metadata name of the pipeline class, for <see cref="System.Reflection.Assembly.GetType(string)"/>.</summary>
    public string MetadataName =>
        (Namespace is null ? string.Empty : Namespace + ".") +
        (Container is null ? string.Empty : Container.Split(' ')[^1] + "+") +
        "Net";
}

/// <summary>
/// A random pipeline declaration: <c>[FusedPipeline(shape)]</c>, then the layers in order, on
/// <c>partial class Net</c> placed as <see cref="Host"/> says.
/// </summary>
internal sealed record Declaration(IReadOnlyList<int> InputShape, IReadOnlyList<LayerDecl> Layers, Host? Placement = null)
{
    public Host Host => Placement ?? Host.Default;

    /// <summary>The whole source file, documented so that a clean pipeline compiles without a warning.</summary>
    public string ToSource()
    {
        var s = new StringBuilder("using FusedOps;\n\n");
        bool block = Host.Namespace is not null && !Host.FileScoped;
        if (Host.Namespace is not null)
        {
            s.Append("namespace ").Append(Host.Namespace).Append(block ? "\n{\n" : ";\n\n");
        }

        if (Host.Container is not null)
        {
            s.Append("/// <summary>A containing type.</summary>\n").Append(Host.Container).Append("\n{\n");
        }

        s.Append("/// <summary>A generated property-test pipeline.</summary>\n");
        s.Append(Attributes);
        s.Append(Host.Modifiers).Append(" partial class Net\n{\n}\n");
        s.Append(Host.Container is null ? string.Empty : "}\n");
        s.Append(block ? "}\n" : string.Empty);
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

    public override string ToString() => "\n" + (Placement is null || Placement == Host.Default ? Attributes : ToSource());
}
