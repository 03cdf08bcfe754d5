package main

func runEtcd(args []string) int              { return 0 }
func cmdUp(args []string) int                { return 0 }
func cmdDown(args []string) int              { return 0 }
func cmdStatus(args []string) int            { return 0 }
func cmdRestartAPIServer(args []string) int  { return 0 }
func cmdCompact(args []string) int           { return 0 }
func cmdMintKubeconfig(args []string) int    { return 0 }
func cmdVersion(args []string) int           { return 0 }
