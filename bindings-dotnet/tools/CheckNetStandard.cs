// Reads `monodis --typeref` of an assembly on stdin and fails when a type it references is not part
// of .NET Standard 2.0, i.e. not forwarded by netstandard.dll. mcs cannot compile against the
// netstandard facade alone, so the assembly is compiled against the .NET Framework 4.6.1
// reference assemblies and this check keeps its use of types within netstandard2.0 (the members
// used are not checked here: the release workflow's .NET SDK build of the .csproj does).
using System;
using System.Text.RegularExpressions;

public static class CheckNetStandard
{
    public static int Main()
    {
        int checkedTypes = 0, missing = 0;
        string line;
        var typeref = new Regex(@"^\d+: \[(?<asm>[^\]]+)\](?<name>\S+)$");
        while ((line = Console.ReadLine()) != null)
        {
            var m = typeref.Match(line.Trim());
            if (!m.Success) continue;
            var name = m.Groups["name"].Value.Replace('/', '+');
            checkedTypes++;
            if (Type.GetType(name + ", netstandard", false) == null)
            {
                missing++;
                Console.Error.WriteLine("not in netstandard2.0: [" + m.Groups["asm"].Value + "]" + name);
            }
        }
        Console.WriteLine("netstandard2.0 check: {0} referenced types, {1} outside netstandard2.0", checkedTypes, missing);
        return missing == 0 && checkedTypes > 0 ? 0 : 1;
    }
}
