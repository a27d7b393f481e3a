using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace FusedOps.Generator.Model;

/// <summary>A <see cref="Location"/> reduced to equatable primitives, safe to keep in a cached model.</summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public static LocationInfo? From(SyntaxNode? node) => From(node?.GetLocation());

    public static LocationInfo? From(Location? location) =>
        location is null || location.SourceTree is null
            ? null
            : new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);

    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);

    /// <summary>A source location in <paramref name="compilation"/>'s tree for this file, so pragmas apply; else an external one.</summary>
    public Location ToLocation(Compilation compilation)
    {
        foreach (SyntaxTree tree in compilation.SyntaxTrees)
        {
            if (tree.FilePath == FilePath && Span.End <= tree.Length)
            {
                return Location.Create(tree, Span);
            }
        }

        return ToLocation();
    }
}

/// <summary>A diagnostic reduced to equatable primitives; turned back into a <see cref="Diagnostic"/> at output.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params object[] args)
    {
        var text = new string[args.Length];
        for (int i = 0; i < args.Length; i++)
        {
            text[i] = System.Convert.ToString(args[i], System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
        }

        return new DiagnosticInfo(descriptor.Id, location, new EquatableArray<string>(text));
    }
}
