from nlu.cli import main

main()
