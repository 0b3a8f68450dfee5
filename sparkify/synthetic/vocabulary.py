"""What the generator draws from: the rates of the real data, read off the public sample, and the
vocabulary of people, places, titles and artists (spelled as loosely as the real data spells them)."""

from __future__ import annotations

# --- Rates, read off the public sample (71 songs, 8,056 events) and the full song_data ---------------
EVENTS_PER_USER = 85  # 8,056 events / 97 users
GUEST_EVENT_SHARE = 1 / 500
P_LOCATION_EMPTY = 0.38  # artist_location "" (then no coordinates either)
P_NO_COORDINATES = 0.56  # artist_latitude/longitude null, including the empty locations
P_YEAR_UNKNOWN = 0.5  # year 0
P_SECOND_SPELLING = 0.06  # share of multi-song artists whose files use two spellings of the name
P_START_PAID = 0.22
P_LEVEL_CHANGE = 0.12  # of free users who upgrade, and of paid users who downgrade, in the period
P_CANCEL = 0.015
P_START_LOGGED_OUT = 0.08  # session opens on the logged-out Home/Login pages
P_NEXT_SONG = 0.86  # among logged-in page views; ~82% of all events once logged-out ones count
ESTIMATED_SECONDS_PER_EVENT = 260  # room given to a session when laying out a user's day

# --- Vocabulary --------------------------------------------------------------------------------------
FIRST_F = (
    "Kaylee", "Lily", "Jacqueline", "Chloe", "Tegan", "Aleena", "Jayden", "Layla", "Sara", "Ava",
    "Mia", "Emily", "Rylan", "Katherine", "Anabelle", "Kate", "Stefany", "Jordyn", "Ayleen", "Madison",
    "Olivia", "Brooklyn", "Harper", "Zoe", "Naomi", "Lucero", "Sienna", "Paige", "Amiya", "Dominique",
    "Elena", "Genesis", "Hannah", "Isabella", "Josie", "Kinsley", "Leah", "Mckenzie", "Nora", "Renée",
)  # fmt: skip
FIRST_M = (
    "Walter", "Ryan", "Jacob", "Noah", "Liam", "Mohammad", "Cienna", "Matthew", "Sean", "Kevin",
    "Tucker", "Wyatt", "Theodore", "Colm", "Emilio", "Jayden", "Lucas", "Aiden", "Brayden", "Carter",
    "Dante", "Elijah", "Finn", "Gavin", "Hunter", "Isaac", "Jonah", "Kaleb", "Logan", "Mason",
    "Nolan", "Owen", "Parker", "Quinn", "Rafael", "Samuel", "Tristan", "Uriel", "Vincent", "Zachary",
)  # fmt: skip
LAST = (
    "Frye", "Summers", "Koch", "Lynch", "Cruz", "Williams", "Smith", "Johnson", "Brown", "Jones",
    "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson",
    "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White",
    "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King",
    "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker",
    "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Owens", "Montgomery", "Larson",
    "Beck", "Hoffman", "O'Brien", "Schmidt", "Müller", "Duarte", "Ibáñez", "Kowalski", "Novak",
)  # fmt: skip
METRO_AREAS = (
    "San Francisco-Oakland-Hayward, CA", "Portland-South Portland, ME", "Lansing-East Lansing, MI",
    "Chicago-Naperville-Elgin, IL-IN-WI", "Atlanta-Sandy Springs-Roswell, GA",
    "Waterloo-Cedar Falls, IA", "Lake Havasu City-Kingman, AZ", "San Jose-Sunnyvale-Santa Clara, CA",
    "New York-Newark-Jersey City, NY-NJ-PA", "Los Angeles-Long Beach-Anaheim, CA",
    "Phoenix-Mesa-Scottsdale, AZ", "Dallas-Fort Worth-Arlington, TX", "Seattle-Tacoma-Bellevue, WA",
    "Miami-Fort Lauderdale-West Palm Beach, FL", "Houston-The Woodlands-Sugar Land, TX",
    "Washington-Arlington-Alexandria, DC-VA-MD-WV", "Philadelphia-Camden-Wilmington, PA-NJ-DE-MD",
    "Minneapolis-St. Paul-Bloomington, MN-WI", "Tampa-St. Petersburg-Clearwater, FL",
    "Nashville-Davidson--Murfreesboro--Franklin, TN", "Sacramento--Roseville--Arden-Arcade, CA",
    "St. Louis, MO-IL", "Salt Lake City, UT", "Raleigh, NC", "Richmond, VA", "Eugene, OR",
    "Red Bluff, CA", "Klamath Falls, OR", "Longview, TX", "Winston-Salem, NC", "Columbia, SC",
    "Birmingham-Hoover, AL", "Detroit-Warren-Dearborn, MI", "New Orleans-Metairie, LA",
)  # fmt: skip
USER_AGENTS = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_4) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/36.0.1985.143 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_4) AppleWebKit/537.78.2 (KHTML, like Gecko) "
    "Version/7.0.6 Safari/537.78.2",
    "Mozilla/5.0 (Windows NT 5.1; rv:31.0) Gecko/20100101 Firefox/31.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Ubuntu Chromium/36.0.1985.125 "
    "Chrome/36.0.1985.125 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/37.0.2062.94 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.9; rv:31.0) Gecko/20100101 Firefox/31.0",
    "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/36.0.1985.125 Safari/537.36",
    "Mozilla/5.0 (Windows NT 6.3; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/36.0.1985.143 Safari/537.36",
    "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko",
    "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.2; WOW64; Trident/6.0)",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 7_1_2 like Mac OS X) AppleWebKit/537.51.2 (KHTML, like Gecko) "
    "Version/7.0 Mobile/11D257 Safari/9537.53",
    "Mozilla/5.0 (Windows NT 6.1; WOW64; rv:32.0) Gecko/20100101 Firefox/32.0",
)
# Artist home places: some with coordinates, spelled as loosely as the Million Song Dataset does.
PLACES = (
    ("California - LA", 34.05349, -118.24532), ("California - SF", 37.77916, -122.42005),
    ("Memphis, TN", 35.14968, -90.04892), ("London, England", 51.50632, -0.12714),
    ("Nashville, TN.", 36.16778, -86.77836), ("New York, NY", 40.71455, -74.00712),
    ("Chicago, IL", 41.88415, -87.63241), ("Toronto, Ontario, Canada", 43.64856, -79.38533),
    ("Houston, TX", 29.76045, -95.36978), ("Seattle, Washington USA", 47.60356, -122.32944),
    ("Denmark", 56.27609, 9.51695), ("Zagreb Croatia", 45.80726, 15.9676),
    ("Panama", 8.4177, -80.11278), ("Orlando, FL", 28.53823, -81.37739),
    ("Beverly Hills, CA", 34.07327, -118.39958), ("Kingston, Jamaica", 17.99702, -76.79358),
    ("Stockholm, Sweden", 59.33217, 18.06243), ("Berlin, Germany", 52.51607, 13.37698),
    ("Paris, France", 48.85692, 2.34121), ("Rio de Janeiro, Brazil", -22.97673, -43.19508),
    ("Melbourne, Australia", -37.81753, 144.96715), ("Dubai UAE", 25.2697, 55.3095),
    ("Noci (BA)", 40.79195, 17.12585), ("Reykjavík, Iceland", 64.13548, -21.89541),
    ("Ohio", 40.19033, -82.66919), ("Georgia", 32.67828, -83.22295), ("Utah", 39.49974, -111.54732),
    ("New York, NY [Manhattan]", 40.79086, -73.96644), ("Washington", 38.8991, -77.029),
    ("Detroit, MI", 42.33168, -83.04792), ("Atlanta, GA", 33.74831, -84.39111),
    ("Montréal, Québec, Canada", 45.51228, -73.55439), ("Dublin, Ireland", 53.34376, -6.24953),
    ("Havana, Cuba", 23.13207, -82.36428), ("Lagos, Nigeria", 6.44255, 3.41485),
    ("Tokyo, Japan", 35.68316, 139.80881), ("Glasgow, Scotland", 55.85712, -4.24445),
    ("Minneapolis, MN", 44.97903, -93.26493), ("Austin, TX", 30.26759, -97.74299),
    ("Wisner, LA", 31.98152, -91.65235),
)  # fmt: skip
WORDS = (
    "Love", "Night", "Heart", "Dream", "Fire", "Rain", "Blue", "Golden", "Midnight", "Summer",
    "Winter", "River", "Road", "Home", "Time", "Light", "Shadow", "Angel", "Devil", "Queen", "King",
    "Baby", "Girl", "Boy", "City", "Street", "Sky", "Star", "Moon", "Sun", "Ocean", "Wild", "Crazy",
    "Sweet", "Broken", "Lonely", "Electric", "Silver", "Velvet", "Paper", "Glass", "Stone", "Ghost",
    "Tonight", "Forever", "Never", "Again", "Away", "Down", "Up", "Inside", "Outside", "Beautiful",
    "Dance", "Run", "Fly", "Fall", "Rise", "Burn", "Shine", "Cry", "Smile", "Kiss", "Talk", "Walk",
    "Dancing", "Running", "Falling", "Waiting", "Holding", "Calling", "Lost", "Found", "Gone", "Free",
    "Last", "First", "Little", "Big", "Old", "New", "Red", "Black", "White", "Green", "Highway",
    "Train", "Letter", "Song", "Blues", "Rhythm", "Soul", "Groove", "Mojo", "Funk", "Thunder",
    "Lightning", "Storm", "Morning", "Evening", "Sunday", "Friday", "December", "July", "Paradise",
    "Heaven", "Hell", "Mountain", "Valley", "Desert", "Island", "Garden", "Window", "Mirror", "Door",
    "You", "Me", "We", "My", "Your", "Our", "The", "In", "On", "Of", "For", "With", "Without", "Over",
    "Amor", "Corazón", "Mañana", "Noche", "Vida", "Café", "Déjà", "Vu", "Straße", "Canción",
    "Señorita", "Été", "Fiesta", "Sueño", "Cielo", "Ñandú",
)  # fmt: skip
VERSIONS = (
    " (Album Version)", " (LP Version)", " (Live)", " (Remix)", " (Explicit Album Version)",
    " (Instrumental Version)", " (Remastered)", " (Radio Edit)", " (Acoustic)", " (Edit)", " [Live]",
    " (Extended Mix)", " (Skit)", " (2005 Digital Remaster)",
)  # fmt: skip
BAND_ADJ = (
    "Black", "Electric", "Silver", "Velvet", "Crimson", "Broken", "Flying", "Rolling", "Howling",
    "Smashing", "Arctic", "Neon", "Golden", "Iron", "Wild", "Lonesome", "Radio", "Dead", "Happy",
    "Sonic", "Cosmic", "Atomic", "Mighty", "Lazy", "Burning", "Frozen", "Hidden", "Savage", "Royal",
    "Stone", "Crystal", "Tiny", "Static", "Magnetic", "Vinyl", "Paper", "Tropical", "Northern",
)  # fmt: skip
BAND_NOUN = (
    "Keys", "Tops", "Stripes", "Monkeys", "Wolves", "Kings", "Lips", "Angels", "Ghosts", "Hearts",
    "Pumpkins", "Shadows", "Horses", "Tigers", "Brothers", "Sisters", "Saints", "Sinners", "Rebels",
    "Machines", "Lovers", "Drifters", "Riders", "Dreamers", "Strangers", "Pilots", "Giants", "Echoes",
    "Foxes", "Bears", "Owls", "Ravens", "Crows", "Lions", "Sharks", "Robots", "Orchestra", "Trio",
    "Quartet", "Collective", "Project", "Experience", "Band", "Soundsystem",
)  # fmt: skip
ARTICLES = ("Los", "Les", "Die", "Il", "The")
ID_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ID_ALNUM = ID_LETTERS + "0123456789"
HEX = "0123456789ABCDEF"
