from mirrorpub.cli import main

main()
