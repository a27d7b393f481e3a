using System.Globalization;

namespace FusedOps.Generator.Model;

/// <summary>C# literals for generated code and the <c>// Pipeline:</c> header.</summary>
internal static class Literal
{
    /// <summary>A float literal that round-trips exactly, culture-invariant.</summary>
    public static string Float(float value)
    {
        if (float.IsNaN(value))
        {
            return "float.NaN";
        }

        if (float.IsInfinity(value))
        {
            return value > 0 ? "float.PositiveInfinity" : "float.NegativeInfinity";
        }

        string s = value.ToString("R", CultureInfo.InvariantCulture);
        if (s.IndexOfAny(new[] { '.', 'E', 'e' }) < 0)
        {
            s += ".0";
        }

        return s.Replace("E", "e") + "f";
    }
}
