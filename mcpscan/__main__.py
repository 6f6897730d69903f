from mcpscan.cli import main

main()
